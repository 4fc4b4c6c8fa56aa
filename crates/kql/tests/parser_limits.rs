#![cfg(test)]
//! The parser's limits against hostile text: deep nesting and long `or` chains are refused with
//! `KqlError::Limit`, and no input (random bytes or KQL-like token soup) makes it panic.

use proptest::prelude::*;
use tandem_kql::{KqlError, parse};

#[test]
fn two_thousand_nested_parentheses_are_a_limit_error() {
    let text = format!("T | where {}x == 1{}", "(".repeat(2_000), ")".repeat(2_000));
    assert!(
        matches!(parse(&text), Err(KqlError::Limit(_))),
        "{:?}",
        parse(&text)
    );
    let pipelines = format!("{}T{}", "(".repeat(2_000), ")".repeat(2_000));
    assert!(matches!(parse(&pipelines), Err(KqlError::Limit(_))));
    let negations = format!("print {}1", "-".repeat(2_000));
    assert!(matches!(parse(&negations), Err(KqlError::Limit(_))));
}

#[test]
fn a_ten_thousand_term_or_chain_is_a_limit_error() {
    let terms: Vec<String> = (0..10_000).map(|i| format!("x == {i}")).collect();
    let text = format!("T | where {}", terms.join(" or "));
    assert!(matches!(parse(&text), Err(KqlError::Limit(_))));
    let sums = format!("print {}", vec!["1"; 10_000].join(" + "));
    assert!(matches!(parse(&sums), Err(KqlError::Limit(_))));
}

#[test]
fn queries_within_the_limits_parse() {
    let terms: Vec<String> = (0..900).map(|i| format!("x == {i}")).collect();
    assert!(parse(&format!("T | where {}", terms.join(" or "))).is_ok());
    let nested = format!("T | where {}x == 1{}", "(".repeat(30), ")".repeat(30));
    assert!(parse(&nested).is_ok());
}

/// Pieces of KQL that random queries are built from.
const VOCABULARY: [&str; 40] = [
    "T",
    "|",
    "where",
    "project",
    "extend",
    "summarize",
    "by",
    "join",
    "on",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "==",
    "and",
    "or",
    "!",
    "has",
    "in",
    "between",
    "..",
    "1",
    "1.5",
    "1d",
    "'s'",
    "\"",
    "@'v'",
    "datetime(2024-01-01)",
    "dynamic([1,{'a':2}])",
    "let",
    ";",
    "mv-expand",
    "parse",
    "with",
    "*",
    "$left.",
];

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soup_never_panics(picks in proptest::collection::vec(0..VOCABULARY.len(), 0..80)) {
        let text: Vec<&str> = picks.into_iter().map(|i| VOCABULARY[i]).collect();
        let _ = parse(&text.join(" "));
    }
}
