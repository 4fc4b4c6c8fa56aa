//! The shape shared by Graph's complex types and evidence types: an optional `@odata.type`, members that
//! may each be absent or `null`, and an `extra` map that keeps the members Tandem does not name.

/// Declares a Graph object whose members are all optional.
///
/// Member names are the camelCase of the Rust names unless a `#[serde(rename = "...")]` says otherwise.
macro_rules! wire_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// The `@odata.type` annotation, as sent.
            #[serde(rename = "@odata.type", default, skip_serializing_if = "Field::is_absent")]
            pub odata_type: Field<String>,
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Field::is_absent")]
                pub $field: Field<$ty>,
            )*
            /// Members this version of Tandem does not name, kept verbatim.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }
    };
}

pub(crate) use wire_object;
