//! A subset of KQL (Kusto Query Language), enough for the SIEM's query API.
//!
//! The engine runs in three stages, each in its own module, so it can grow towards fuller KQL one
//! operator at a time:
//! 1. [`lexer`] turns text into tokens (identifiers, literals including timespans like `1d`, symbols);
//! 2. [`parser`] builds the [`ast::Query`] tree: a table and a pipeline of tabular operators over scalar
//!    expressions, refusing anything outside the subset with an error that names it;
//! 3. [`plan`] derives what the store must read (a lower bound on `TimeGenerated`), and [`eval`] runs
//!    the operators in Rust over those rows.
//!
//! Evaluating in Rust (rather than translating to SQL) keeps KQL's own semantics — case-insensitive
//! `contains`, term-based `has`, null handling, descending default sort — in one place and independent
//! of how rows are stored. The store only narrows the scan by time.
//!
//! Supported: `T`, `where` (`==`, `!=`, `<`, `<=`, `>`, `>=`, `=~`, `!~`, `contains`, `!contains`,
//! `has`, `!has`, `in`, `!in`, `and`, `or`, `not()`, parentheses, `ago()`, `now()`, `datetime()`),
//! `project` (existing columns), `take` / `limit`, `order by` / `sort by` (`asc` / `desc`), and
//! `summarize [name =] count() [by col, ...]` and `count`.

pub mod ast;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod plan;

pub use eval::{Scalar, Table, execute};
pub use parser::parse;
pub use plan::ScanBounds;

/// Why a query could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KqlError {
    /// The text is not well-formed.
    #[error("syntax error at offset {offset}: {message}")]
    Syntax {
        /// Byte offset in the query text.
        offset: usize,
        /// What was expected or found.
        message: String,
    },
    /// Well-formed KQL that this engine does not run.
    #[error("not supported by this KQL subset: {0}")]
    Unsupported(String),
    /// The query names a table the workspace does not have.
    #[error("failed to resolve table '{0}'")]
    UnknownTable(String),
    /// The query names a column the table does not have (at that point in the pipeline).
    #[error("failed to resolve column '{0}'")]
    UnknownColumn(String),
    /// A value of the wrong kind, such as `ago('x')`.
    #[error("type error: {0}")]
    Type(String),
    /// The query is past one of the engine's bounds (such as its nesting depth).
    #[error("the query is too complex: {0}")]
    Limit(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType, TableSchema};
    use proptest::prelude::*;

    fn table() -> Table {
        let schema = TableSchema {
            name: "T".into(),
            columns: vec![
                Column::new("A", ColumnType::Long),
                Column::new("B", ColumnType::String),
            ],
        };
        let rows: Vec<_> = (0..5)
            .map(|i| {
                serde_json::json!({"A": i, "B": format!("v{i}")})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        Table::from_stored(&schema, &rows)
    }

    proptest! {
        /// No text makes the engine panic: it parses and runs, or it says why not.
        #[test]
        fn any_text_parses_or_fails_cleanly(text in "\\PC{0,80}") {
            if let Ok(query) = parse(&text) {
                let _ = execute(&query, table(), chrono::Utc::now());
            }
        }

        /// Queries built from the subset's own pieces never panic either.
        #[test]
        fn pipelines_of_known_pieces_run_or_fail_cleanly(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("| where A > 1"), Just("| where B has 'v1' or A in (1, 2)"), Just("| take 2"),
                    Just("| sort by A asc"), Just("| project B"), Just("| summarize count() by B"),
                    Just("| count"), Just("| where (A"), Just("| where C == 1"), Just(")"), Just("|"),
                ],
                0..6,
            )
        ) {
            let text = format!("T {}", pieces.join(" "));
            if let Ok(query) = parse(&text) {
                let _ = execute(&query, table(), chrono::Utc::now());
            }
        }
    }

    fn nested(depth: usize) -> String {
        format!("T | where {}A > 1{}", "(".repeat(depth), ")".repeat(depth))
    }

    #[test]
    fn nesting_stops_at_the_limit_with_a_clear_error() {
        let at_limit = parse(&nested(parser::MAX_NESTING)).expect("at the limit");
        execute(&at_limit, table(), chrono::Utc::now()).expect("runs");
        for depth in [parser::MAX_NESTING + 1, 2_000, 100_000] {
            match parse(&nested(depth)) {
                Err(KqlError::Limit(message)) => assert!(message.contains("64 deep"), "{message}"),
                other => panic!("{depth}: {other:?}"),
            }
        }
        let calls = format!(
            "T | where {}true{}",
            "not(".repeat(5_000),
            ")".repeat(5_000)
        );
        assert!(matches!(parse(&calls), Err(KqlError::Limit(_))));
    }

    #[test]
    fn ago_past_the_datetime_range_is_a_type_error() {
        // Found by fuzzing: this overflowed chrono's arithmetic and aborted the query thread.
        for text in [
            "T | where ago(8888888888888888880d)",
            "T | where A > 1 and ago(99999999999999999999999d) < now()",
        ] {
            let query = parse(text).expect("parses");
            match execute(&query, table(), chrono::Utc::now()) {
                Err(KqlError::Type(m)) => assert!(m.contains("outside the range"), "{m}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn chains_of_or_and_and_run_up_to_the_limit() {
        for joiner in [" or ", " and "] {
            let terms = vec!["A == 1"; parser::MAX_TERMS].join(joiner);
            let query = parse(&format!("T | where {terms}")).expect("parses");
            let result = execute(&query, table(), chrono::Utc::now()).expect("runs");
            assert_eq!(result.rows.len(), 1, "{joiner}");
            for count in [parser::MAX_TERMS + 1, 10_000] {
                let past = vec!["A == 1"; count].join(joiner);
                match parse(&format!("T | where {past}")) {
                    Err(KqlError::Limit(m)) => assert!(m.contains("1000 terms"), "{m}"),
                    other => panic!("{count}: {other:?}"),
                }
            }
        }
    }

    proptest! {
        /// Nesting parses exactly up to the limit, and the answer does not change with the depth.
        #[test]
        fn nesting_up_to_the_limit_and_one_past(depth in 0..=parser::MAX_NESTING + 1) {
            let parsed = parse(&nested(depth));
            prop_assert_eq!(parsed.is_ok(), depth <= parser::MAX_NESTING);
            if let Ok(query) = parsed {
                let rows = execute(&query, table(), chrono::Utc::now()).expect("runs").rows;
                prop_assert_eq!(rows.len(), 3);
            }
        }
    }
}
