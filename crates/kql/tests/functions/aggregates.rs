//! KQL's aggregates over the fixture in two partitions (so partial results are merged), grouped
//! by `g` (`a`: the first two rows, `b`: the last two) or over all four rows.

use datafusion::logical_expr::{col, lit};
use tandem_kql::functions::{aggregate_call, percentile_column_name, percentiles_split};
use tandem_kql::{FunctionError, KqlType};

use crate::support::*;

fn n_above(value: i64) -> tandem_kql::TypedExpr {
    typed(col("n").gt(lit(value)), KqlType::Bool)
}

fn in_group(group: &str) -> tandem_kql::TypedExpr {
    typed(col("g").eq(lit(group)), KqlType::Bool)
}

#[tokio::test]
async fn count_counts_rows_and_countif_counts_true_predicates() {
    let rows = aggregate("count", vec![]);
    assert_eq!(rows.kind, KqlType::Long);
    assert_eq!(total(rows.clone()).await, "4");
    assert_eq!(per_group(rows).await, strings(&["2", "2"]));
    let above = aggregate("countif", vec![n_above(1)]);
    assert_eq!(above.kind, KqlType::Long);
    assert_eq!(total(above.clone()).await, "2");
    assert_eq!(per_group(above).await, strings(&["1", "1"]));
}

#[tokio::test]
async fn dcount_counts_distinct_values_and_dcountif_those_passing() {
    let groups = aggregate("dcount", vec![column("g")]);
    assert_eq!(groups.kind, KqlType::Long);
    assert_eq!(total(groups).await, "2");
    assert_eq!(total(aggregate("dcount", vec![column("n")])).await, "3");
    let passing = aggregate("dcountif", vec![column("n"), n_above(1)]);
    assert_eq!(passing.kind, KqlType::Long);
    assert_eq!(total(passing).await, "2");
}

#[tokio::test]
async fn sum_keeps_whole_numbers_whole_and_sumif_filters() {
    let whole = aggregate("sum", vec![column("n")]);
    assert_eq!(whole.kind, KqlType::Long);
    assert_eq!(total(whole).await, "6");
    let ints = aggregate("sum", vec![column("i")]);
    assert_eq!(ints.kind, KqlType::Long);
    assert_eq!(total(ints).await, "0");
    let reals = aggregate("sum", vec![column("r")]);
    assert_eq!(reals.kind, KqlType::Real);
    assert_eq!(total(reals).await, "-0.75");
    let flagged = aggregate("sumif", vec![column("n"), column("flag")]);
    assert_eq!(flagged.kind, KqlType::Long);
    assert_eq!(total(flagged).await, "4");
}

#[tokio::test]
async fn avg_is_real_and_avgif_averages_passing_rows() {
    let mean = aggregate("avg", vec![column("n")]);
    assert_eq!(mean.kind, KqlType::Real);
    assert_eq!(total(mean).await, "2");
    let first_group = aggregate("avgif", vec![column("n"), in_group("a")]);
    assert_eq!(first_group.kind, KqlType::Real);
    assert_eq!(total(first_group).await, "1.5");
}

#[tokio::test]
async fn min_and_max_keep_the_type() {
    let smallest = aggregate("min", vec![column("r")]);
    assert_eq!(smallest.kind, KqlType::Real);
    assert_eq!(total(smallest).await, "-2.25");
    let latest = aggregate("max", vec![column("at")]);
    assert_eq!(latest.kind, KqlType::Datetime);
    assert_eq!(total(latest).await, "2017-01-01T10:30:00.500Z");
    assert_eq!(
        per_group(aggregate("max", vec![column("n")])).await,
        strings(&["2", "3"])
    );
}

#[tokio::test]
async fn stdev_and_variance_are_the_sample_forms() {
    let spread = aggregate("stdev", vec![column("n")]);
    assert_eq!(spread.kind, KqlType::Real);
    assert_eq!(total(spread).await, "1");
    let variance = aggregate("variance", vec![column("i")]);
    assert_eq!(variance.kind, KqlType::Real);
    assert_eq!(total(variance).await, "49");
}

#[tokio::test]
async fn make_list_collects_every_value_skipping_nulls() {
    let numbers = aggregate("make_list", vec![column("n")]);
    assert_eq!(numbers.kind, KqlType::Dynamic);
    assert_eq!(sorted(&total(numbers).await), "[1,2,3]");
    let texts = per_group(aggregate("make_list", vec![column("text")])).await;
    assert_eq!(
        sorted(&texts[0]),
        r#"["KustoExplorerQueryRun","North America"]"#
    );
    assert_eq!(texts[1], r#"["",""]"#, "a null string is the empty string");
    let capped = aggregate("make_list", vec![column("g"), long(3)]);
    let capped = total(capped).await;
    assert_eq!(
        serde_json::from_str::<Vec<String>>(&capped)
            .map(|items| items.len())
            .ok(),
        Some(3)
    );
    let flagged = aggregate("make_list_if", vec![column("n"), column("flag")]);
    assert_eq!(sorted(&total(flagged).await), "[1,3]");
    let when = aggregate("make_list", vec![column("at")]);
    assert!(total(when).await.contains(r#""2015-12-31T23:59:59Z""#));
}

#[tokio::test]
async fn make_set_collects_distinct_values() {
    let groups = aggregate("make_set", vec![column("g")]);
    assert_eq!(groups.kind, KqlType::Dynamic);
    assert_eq!(sorted(&total(groups).await), r#"["a","b"]"#);
    let above = aggregate("make_set_if", vec![column("g"), n_above(2)]);
    assert_eq!(total(above).await, r#"["b"]"#);
    let capped = aggregate("make_set", vec![column("n"), long(1)]);
    assert_eq!(total(capped).await.matches(',').count(), 0);
}

#[tokio::test]
async fn make_bag_merges_property_bags() {
    let merged = aggregate("make_bag", vec![column("json")]);
    assert_eq!(merged.kind, KqlType::Dynamic);
    assert_eq!(
        total(merged).await,
        r#"{"a":{"b":[1,2,3]},"n":null,"s":"x"}"#
    );
    let packed = tandem_kql::functions::scalar_call("bag_pack", vec![column("g"), column("n")])
        .unwrap_or_else(|error| panic!("{error}"));
    let by_key = total(aggregate("make_bag", vec![packed])).await;
    let bag: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&by_key).unwrap_or_else(|error| panic!("{by_key}: {error}"));
    assert_eq!(bag.keys().collect::<Vec<_>>(), ["a", "b"]);
    let kept = bag.get("a").and_then(serde_json::Value::as_i64);
    assert!(
        matches!(kept, Some(1 | 2)),
        "one of group a's values is kept: {by_key}"
    );
}

#[tokio::test]
async fn take_any_picks_a_value_of_the_group() {
    let any = aggregate("take_any", vec![column("g")]);
    assert_eq!(any.kind, KqlType::String);
    assert_eq!(per_group(any).await, strings(&["a", "b"]));
    let picked = aggregate("any", vec![column("n")]);
    let picked = per_group(picked).await;
    assert!(["1", "2"].contains(&picked[0].as_str()), "{picked:?}");
}

#[tokio::test]
async fn percentile_is_the_nearest_rank_value() {
    let median = aggregate("percentile", vec![column("n"), long(50)]);
    assert_eq!(median.kind, KqlType::Long);
    assert_eq!(total(median).await, "2");
    assert_eq!(
        total(aggregate("percentile", vec![column("r"), long(100)])).await,
        "1.5"
    );
    assert_eq!(
        total(aggregate("percentile", vec![column("r"), long(0)])).await,
        "-2.25"
    );
    let middle_instant = aggregate("percentile", vec![column("at"), long(50)]);
    assert_eq!(middle_instant.kind, KqlType::Datetime);
    assert_eq!(total(middle_instant).await, "2015-12-31T23:59:59Z");
    let refused = aggregate_call("percentile", vec![column("n"), long(101)]);
    assert!(
        matches!(refused, Err(FunctionError::Argument { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn percentiles_give_one_value_per_percent() {
    let spread = aggregate(
        "percentiles",
        vec![column("n"), long(0), long(50), real(99.5)],
    );
    assert_eq!(spread.kind, KqlType::Dynamic);
    assert_eq!(total(spread.clone()).await, "[1,2,3]");
    let columns = after_total(spread, |array| percentiles_split(array, KqlType::Long, 3)).await;
    assert_eq!(columns, strings(&["1", "2", "3"]));
    assert_eq!(percentile_column_name("n", 99.5), "percentile_n_99_5");
    assert_eq!(
        percentile_column_name("Duration", 50.0),
        "percentile_Duration_50"
    );
    let instants = aggregate("percentiles", vec![column("at"), long(50)]);
    let split = after_total(instants, |array| {
        percentiles_split(array, KqlType::Datetime, 1)
    })
    .await;
    assert_eq!(split, strings(&["2015-12-31T23:59:59Z"]));
}

#[test]
fn unknown_aggregates_and_bad_sizes_are_refused() {
    assert_eq!(
        aggregate_call("median_of_medians", vec![column("n")]),
        Err(FunctionError::Unknown("median_of_medians".to_owned()))
    );
    let size = aggregate_call("make_list", vec![column("n"), long(0)]);
    assert!(
        matches!(size, Err(FunctionError::Argument { .. })),
        "{size:?}"
    );
    let arity = aggregate_call("sumif", vec![column("n")]);
    assert!(
        matches!(arity, Err(FunctionError::Arity { .. })),
        "{arity:?}"
    );
}

#[tokio::test]
async fn the_if_forms_only_see_passing_rows() {
    assert_eq!(
        total(aggregate("minif", vec![column("n"), column("flag")])).await,
        "1"
    );
    assert_eq!(
        total(aggregate("maxif", vec![column("n"), column("flag")])).await,
        "3"
    );
    let spread = aggregate("stdevif", vec![column("n"), in_group("a")]);
    assert_eq!(spread.kind, KqlType::Real);
    assert_eq!(total(spread).await, "0.7071067811865476");
    assert_eq!(
        total(aggregate("varianceif", vec![column("n"), in_group("a")])).await,
        "0.5"
    );
    assert_eq!(
        total(aggregate("take_anyif", vec![column("n"), in_group("b")])).await,
        "3"
    );
    let bag = aggregate("make_bag_if", vec![column("json"), column("flag")]);
    assert_eq!(total(bag).await, r#"{"a":{"b":[1,2,3]},"n":null,"s":"x"}"#);
    let none = aggregate("make_bag_if", vec![column("json"), n_above(5)]);
    assert_eq!(total(none).await, "{}");
}

#[tokio::test]
async fn deprecated_names_still_work() {
    assert_eq!(
        sorted(&total(aggregate("makeset", vec![column("g")])).await),
        r#"["a","b"]"#
    );
    assert_eq!(
        sorted(&total(aggregate("makelist", vec![column("n")])).await),
        "[1,2,3]"
    );
}

#[tokio::test]
async fn timespans_sum_and_compare_as_timespans() {
    let summed = aggregate("sum", vec![column("span")]);
    assert_eq!(summed.kind, KqlType::Timespan);
    let expected = DAY + 2 * HOUR + 3 * 60 * SECOND + 4 * SECOND + HOUR / 2;
    assert_eq!(total(summed).await, format!("{expected}ns"));
    assert_eq!(
        total(aggregate("max", vec![column("span")])).await,
        format!("{}ns", DAY + 2 * HOUR + 3 * 60 * SECOND + 4 * SECOND)
    );
    let mean = aggregate("avg", vec![column("span")]);
    assert_eq!(mean.kind, KqlType::Timespan);
    assert_eq!(total(mean).await, format!("{}ns", expected / 3));
}
