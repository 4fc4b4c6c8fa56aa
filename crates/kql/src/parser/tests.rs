//! The parser's grammar, one form at a time, and its limits.

use super::*;
use crate::ast::{BinaryOp, ExprKind, Literal, OperatorKind};

fn operators(text: &str) -> Vec<OperatorKind> {
    parse(text)
        .unwrap()
        .body
        .operators
        .into_iter()
        .map(|o| o.kind)
        .collect()
}

#[test]
fn a_pipeline_reads_its_source_and_operators() {
    let query = parse("SecurityIncident | where Severity == 'High' | take 5").unwrap();
    assert!(
        matches!(query.body.source, Source::Name { ref name, .. } if name == "SecurityIncident")
    );
    assert_eq!(query.body.operators.len(), 2);
}

#[test]
fn hyphenated_operators_are_one_name_and_blank_separated_minus_is_not() {
    let ops = operators("T | project-away A, B* | extend x = a - b");
    assert_eq!(
        ops[0],
        OperatorKind::ProjectAway(vec!["A".into(), "B*".into()])
    );
    let OperatorKind::Extend(assignments) = &ops[1] else {
        panic!("{ops:?}")
    };
    assert!(matches!(
        assignments[0].expr.kind,
        ExprKind::Binary {
            op: BinaryOp::Subtract,
            ..
        }
    ));
}

#[test]
fn lets_bind_scalars_tables_and_functions() {
    let query = parse(
        "let n = 5; let T = X | where a > n; let f = (x: long) { x * 2 }; T | extend y = f(n)",
    )
    .unwrap();
    assert_eq!(query.lets.len(), 3);
    assert!(
        matches!(query.lets[1].value, LetValue::Expr(ref e) if matches!(e.kind, ExprKind::Pipeline(_)))
    );
    assert!(matches!(query.lets[2].value, LetValue::Function(_)));
}

#[test]
fn string_operators_and_negations_resolve_to_function_names() {
    let ops = operators(
        "T | where a !has 'x' and b in~ ('y', 'z') and c matches regex 'q' and d between (1 .. 2)",
    );
    let OperatorKind::Where(predicate) = &ops[0] else {
        panic!()
    };
    let text = format!("{predicate:?}");
    assert!(text.contains("name: \"has\", negated: true"), "{text}");
    assert!(text.contains("case_insensitive: true"), "{text}");
    assert!(text.contains("matches_regex"), "{text}");
    assert!(text.contains("Between"), "{text}");
}

#[test]
fn join_keys_read_either_order_of_sides() {
    let ops = operators("T | join kind=leftouter (U | where x > 1) on $right.B == $left.A, C");
    let OperatorKind::Join { kind, on, .. } = &ops[0] else {
        panic!()
    };
    assert_eq!(kind, "leftouter");
    assert_eq!((on[0].left.as_str(), on[0].right.as_str()), ("A", "B"));
    assert_eq!((on[1].left.as_str(), on[1].right.as_str()), ("C", "C"));
}

#[test]
fn literals_take_their_kql_forms() {
    let ops = operators(
        "T | extend a = datetime(2024-01-01), b = 1h, c = dynamic({'k': [1, 2]}), d = int(null), e = -3",
    );
    let OperatorKind::Extend(list) = &ops[0] else {
        panic!()
    };
    let values: Vec<&ExprKind> = list.iter().map(|a| &a.expr.kind).collect();
    assert_eq!(
        values[0],
        &ExprKind::Literal(Literal::Datetime(1_704_067_200_000_000_000))
    );
    assert_eq!(
        values[1],
        &ExprKind::Literal(Literal::Timespan(3_600_000_000_000))
    );
    assert_eq!(
        values[2],
        &ExprKind::Literal(Literal::Dynamic(r#"{"k":[1,2]}"#.into()))
    );
    assert_eq!(values[3], &ExprKind::Literal(Literal::Null(KqlType::Int)));
    assert_eq!(values[4], &ExprKind::Literal(Literal::Long(-3)));
}

#[test]
fn summarize_reads_tuples_and_by_keys() {
    let ops = operators(
        "T | summarize (t, id) = arg_max(TimeGenerated, Id), count() by bin(TimeGenerated, 1h)",
    );
    let OperatorKind::Summarize { aggregates, by } = &ops[0] else {
        panic!()
    };
    assert_eq!(aggregates[0].names, vec!["t".to_owned(), "id".to_owned()]);
    assert_eq!(aggregates.len(), 2);
    assert_eq!(by.len(), 1);
}

#[test]
fn deep_nesting_and_long_chains_are_refused_as_limits() {
    let deep = format!("T | where {}1{}", "(".repeat(100), ")".repeat(100));
    assert!(matches!(parse(&deep), Err(KqlError::Limit(_))));
    let wide = format!("T | where {}", vec!["a == 1"; 2_000].join(" or "));
    assert!(matches!(parse(&wide), Err(KqlError::Limit(_))));
    let ok = format!("T | where {}", vec!["a == 1"; 500].join(" or "));
    assert!(parse(&ok).is_ok());
}

#[test]
fn an_unknown_operator_is_a_syntax_error_naming_it() {
    let error = parse("T | frobnicate").unwrap_err();
    assert_eq!(
        error,
        KqlError::Syntax {
            offset: 4,
            message: "'frobnicate' is not a tabular operator".into()
        }
    );
}
