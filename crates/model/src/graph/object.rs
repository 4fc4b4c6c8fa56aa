//! The shape shared by Graph's complex types and evidence types: an optional `@odata.type`, members that
//! may each be absent or `null`, and an `extra` map that keeps the members Tandem does not name.

/// Declares a Graph object: an optional `@odata.type` followed by the members of
/// [`wire_struct!`](crate::wire::wire_struct).
///
/// Member names are the camelCase of the Rust names unless a `#[serde(rename = "...")]` says otherwise.
macro_rules! wire_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($members:tt)*
        }
    ) => {
        $crate::wire::wire_struct! {
            $(#[$meta])*
            #[derive(Default)]
            #[serde(rename_all = "camelCase")]
            pub struct $name {
                /// The `@odata.type` annotation, as sent.
                #[serde(rename = "@odata.type")]
                odata_type: String,
                $($members)*
            }
        }
    };
}

pub(crate) use wire_object;
