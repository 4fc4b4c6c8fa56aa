//! `$filter` and the other list options, as any reader may send them: parsing and SQL generation
//! must never panic or recurse past their bounds, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_odata::filter::{self, FieldKind, FilterField, Sqlite};
use tandem_odata::{Expandable, ListQuery, ListSpec, OrderField};

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
    FilterField {
        property: "incidentNumber",
        column: "number",
        kind: FieldKind::Integer,
    },
];

const ORDER: &[OrderField] = &[OrderField {
    property: "lastUpdateDateTime",
    column: "last_update_ns",
}];

/// The expanded alerts: nested `$select` and `$filter` are parsed against this.
const ALERTS: ListSpec = ListSpec {
    filter_fields: FIELDS,
    order_fields: ORDER,
    default_top: 100,
    max_top: 100,
    selectable: &["id", "title", "status"],
    expandable: &[],
};

const SPEC: ListSpec = ListSpec {
    filter_fields: FIELDS,
    order_fields: ORDER,
    default_top: 50,
    max_top: 50,
    selectable: &["id", "displayName", "status", "alerts"],
    expandable: &[Expandable {
        name: "alerts",
        spec: &ALERTS,
    }],
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = filter::parse(text) {
        let _ = filter::to_sql(&expr, FIELDS, &Sqlite);
    }
    if let Ok(query) = ListQuery::parse(Some(text), &SPEC, &Sqlite) {
        let _ = query.after_cursor("seq", &Sqlite, 0);
    }
});
