//! `$filter` and the other list options, as any reader may send them: parsing and SQL generation
//! must never panic or recurse past their bounds, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_odata::filter::{self, FieldKind, FilterField, Sqlite};
use tandem_odata::{ListQuery, ListSpec, OrderField};

const FIELDS: &[FilterField] = &[
    FilterField {
        property: "status",
        column: "status",
        kind: FieldKind::Text,
    },
    FilterField {
        property: "lastUpdateDateTime",
        column: "last_update_ns",
        kind: FieldKind::Timestamp,
    },
];

const SPEC: ListSpec = ListSpec {
    filter_fields: FIELDS,
    order_fields: &[OrderField {
        property: "lastUpdateDateTime",
        column: "last_update_ns",
    }],
    default_top: 50,
    max_top: 50,
    expandable: &["alerts"],
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = filter::parse(text) {
        let _ = filter::to_sql(&expr, FIELDS, &Sqlite);
    }
    let _ = ListQuery::parse(Some(text), &SPEC, &Sqlite);
});
