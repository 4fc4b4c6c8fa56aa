//! Property tests of the list query options (`$filter`, `$top`, `$orderby`, `$skiptoken`, ...): no query
//! string makes the parser panic, and every query it accepts runs against a real store, so a bad option
//! is a 400 naming it and never a database error.

use std::sync::OnceLock;

use proptest::prelude::*;
use tandem_odata::ListQuery;
use tandem_odata::filter::Sqlite;
use tandem_xdr::queries::{ALERT_LIST, INCIDENT_LIST};
use tandem_xdr::{Store, Xdr, XdrConfig, XdrError};

/// An XDR over a real SQLite store in a temp dir, holding a few incidents and alerts.
fn xdr() -> &'static Xdr {
    static XDR: OnceLock<(tempfile::TempDir, Xdr)> = OnceLock::new();
    let (_, xdr) = XDR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("xdr.sqlite")).expect("store");
        let xdr = Xdr::new(store, "tenant", &XdrConfig::default());
        let mut alerts = tandem_scenario::multi_stage(chrono::Utc::now());
        alerts.extend(tandem_scenario::load(chrono::Utc::now(), 3, 2));
        xdr.ingest(alerts).expect("intake");
        (dir, xdr)
    });
    xdr
}

/// Fields the lists know, and one they do not.
const FIELDS: &[&str] = &[
    "status",
    "severity",
    "assignedTo",
    "classification",
    "determination",
    "createdDateTime",
    "lastUpdateDateTime",
    "serviceSource",
    "incidentId",
    "title",
];

/// Operators, including one the grammar does not have.
const OPERATORS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le", "has"];

/// Literals of every kind, some malformed.
const LITERALS: &[&str] = &[
    "'active'",
    "'it''s'",
    "''",
    "'unterminated",
    "null",
    "true",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.1234567Z",
    "9999-99-99T99:99:99Z",
    "12",
    "-3.5",
    "1e309",
];

/// `field op literal`: mostly well-typed (text fields with `eq`/`ne` and text or `null`, time fields
/// with any comparison and a timestamp), sometimes any combination.
fn comparison() -> impl Strategy<Value = String> {
    let text = (
        prop::sample::select(&FIELDS[..5]),
        prop::sample::select(&OPERATORS[..2]),
        prop::sample::select(&["'active'", "'it''s'", "''", "null", "'High'"][..]),
    );
    let time = (
        prop::sample::select(&FIELDS[5..7]),
        prop::sample::select(&OPERATORS[..6]),
        prop::sample::select(&LITERALS[6..8]),
    );
    let any = (
        prop::sample::select(FIELDS),
        prop::sample::select(OPERATORS),
        prop::sample::select(LITERALS),
    );
    prop_oneof![3 => text, 3 => time, 1 => any]
        .prop_map(|(field, op, literal)| format!("{field} {op} {literal}"))
}

/// A `$filter` value: comparisons combined with `and`, `or`, `not` and parentheses, then sometimes
/// damaged by inserting arbitrary text.
fn filter_text() -> impl Strategy<Value = String> {
    let expr = comparison().prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.prop_map(|e| format!("not ({e})")),
        ]
    });
    (
        expr,
        prop::option::weighted(0.2, (any::<prop::sample::Index>(), ".{0,4}")),
    )
        .prop_map(|(text, damage)| match damage {
            None => text,
            Some((at, junk)) => {
                let cut = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(at.index(text.chars().count().max(1)))
                    .unwrap_or(text.len());
                format!("{}{junk}{}", &text[..cut], &text[cut..])
            }
        })
}

/// A raw query string: known options with arbitrary values, or arbitrary text.
fn raw_query() -> impl Strategy<Value = String> {
    let option = prop::sample::select(vec![
        "$filter",
        "$top",
        "$skip",
        "$orderby",
        "$count",
        "$expand",
        "$skiptoken",
        "$select",
        "other",
    ]);
    let value = prop_oneof![
        filter_text(),
        ".{0,24}",
        "[0-9]{1,25}",
        "(createdDateTime|lastUpdateDateTime|severity|id)( asc| desc)?",
    ];
    prop_oneof![
        prop::collection::vec((option, value), 0..5).prop_map(|pairs| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in pairs {
                query.append_pair(name, &value);
            }
            query.finish()
        }),
        ".{0,64}",
    ]
}

/// Parses `raw` for both lists and runs what parses; only query-option errors are acceptable.
fn parses_and_runs(raw: &str) -> Result<(), TestCaseError> {
    for (spec, run) in [
        (
            &INCIDENT_LIST,
            list_incidents as fn(&ListQuery) -> Result<(), XdrError>,
        ),
        (&ALERT_LIST, list_alerts),
    ] {
        let Ok(query) = ListQuery::parse(Some(raw), spec, &Sqlite) else {
            continue;
        };
        match run(&query) {
            Ok(()) | Err(XdrError::Query(_)) => {}
            Err(other) => return Err(TestCaseError::fail(format!("{raw}: {other}"))),
        }
    }
    Ok(())
}

fn list_incidents(query: &ListQuery) -> Result<(), XdrError> {
    xdr().list_incidents(query).map(drop)
}

fn list_alerts(query: &ListQuery) -> Result<(), XdrError> {
    xdr().list_alerts(query).map(drop)
}

proptest! {
    #[test]
    fn any_filter_parses_or_is_refused_and_what_parses_runs(filter in filter_text()) {
        let mut raw = form_urlencoded::Serializer::new(String::new());
        raw.append_pair("$filter", &filter);
        parses_and_runs(&raw.finish())?;
    }

    #[test]
    fn any_query_string_parses_or_is_refused_and_what_parses_runs(raw in raw_query()) {
        parses_and_runs(&raw)?;
    }
}
