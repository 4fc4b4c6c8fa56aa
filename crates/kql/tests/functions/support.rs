//! A small table of every KQL type, and helpers that evaluate a compiled function over it through
//! a real DataFusion session and read the answers back as text.

use std::sync::Arc;

use chrono::DateTime;
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, DurationNanosecondArray, Float64Array, Int32Array, Int64Array,
    RecordBatch, StringArray, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::prelude::{DataFrame, SessionContext};
use tandem_kql::functions::{aggregate_call, scalar_call};
use tandem_kql::{FunctionError, KqlType, TypedExpr};

pub const SECOND: i64 = 1_000_000_000;
pub const HOUR: i64 = 3_600 * SECOND;
pub const DAY: i64 = 24 * HOUR;

/// Nanoseconds since the Unix epoch of an RFC 3339 instant.
pub fn instant(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|at| at.timestamp_nanos_opt())
        .unwrap_or(i64::MIN)
}

/// The fixture in one partition, so rows come back in order.
pub fn table() -> DataFrame {
    fixture(1)
}

/// The fixture's columns: four rows of each KQL type, the last row null (or empty text), spread
/// over `partitions` partitions (aggregates then merge partial states).
pub fn fixture(partitions: usize) -> DataFrame {
    let text: ArrayRef = Arc::new(StringArray::from(vec![
        Some("North America"),
        Some("KustoExplorerQueryRun"),
        Some(""),
        None,
    ]));
    let ip: ArrayRef = Arc::new(StringArray::from(vec![
        Some("10.1.2.3"),
        Some("192.168.0.1"),
        Some("8.8.8.8"),
        Some("not an address"),
    ]));
    let json: ArrayRef = Arc::new(StringArray::from(vec![
        Some(r#"{"a":{"b":[1,2,3]},"s":"x","n":null}"#),
        Some("[10,20,30]"),
        Some(r#""plain""#),
        None,
    ]));
    let n: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), Some(2), Some(3), None]));
    let i: ArrayRef = Arc::new(Int32Array::from(vec![Some(7), Some(-7), Some(0), None]));
    let r: ArrayRef = Arc::new(Float64Array::from(vec![
        Some(1.5),
        Some(-2.25),
        Some(0.0),
        None,
    ]));
    let flag: ArrayRef = Arc::new(BooleanArray::from(vec![
        Some(true),
        Some(false),
        Some(true),
        None,
    ]));
    let at: ArrayRef = Arc::new(
        TimestampNanosecondArray::from(vec![
            Some(instant("2015-12-31T23:59:59Z")),
            Some(instant("2017-01-01T10:30:00.5Z")),
            Some(0),
            None,
        ])
        .with_timezone("UTC"),
    );
    let span: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![
        Some(DAY + 2 * HOUR + 3 * 60 * SECOND + 4 * SECOND),
        Some(HOUR / 2),
        Some(0),
        None,
    ]));
    let group: ArrayRef = Arc::new(StringArray::from(vec!["a", "a", "b", "b"]));
    let columns = [
        ("text", KqlType::String, text),
        ("ip", KqlType::String, ip),
        ("json", KqlType::Dynamic, json),
        ("n", KqlType::Long, n),
        ("i", KqlType::Int, i),
        ("r", KqlType::Real, r),
        ("flag", KqlType::Bool, flag),
        ("at", KqlType::Datetime, at),
        ("span", KqlType::Timespan, span),
        ("g", KqlType::String, group),
    ];
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, kind, _)| kind.field(name))
            .collect::<Vec<_>>(),
    ));
    let arrays = columns.into_iter().map(|(_, _, array)| array).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("fixture batch");
    let per_partition = batch.num_rows().div_ceil(partitions);
    let parts = (0..partitions)
        .map(|part| {
            vec![batch.slice(
                part * per_partition,
                per_partition.min(batch.num_rows() - part * per_partition),
            )]
        })
        .collect();
    let table = MemTable::try_new(schema, parts).expect("fixture table");
    let context = SessionContext::new();
    context.read_table(Arc::new(table)).expect("fixture frame")
}

/// A column of the fixture, typed as the fixture declares it.
pub fn column(name: &str) -> TypedExpr {
    let kind = match name {
        "json" => KqlType::Dynamic,
        "n" => KqlType::Long,
        "i" => KqlType::Int,
        "r" => KqlType::Real,
        "flag" => KqlType::Bool,
        "at" => KqlType::Datetime,
        "span" => KqlType::Timespan,
        _ => KqlType::String,
    };
    TypedExpr::new(col(name), kind)
}

/// A string literal.
pub fn text(value: &str) -> TypedExpr {
    TypedExpr::new(lit(value), KqlType::String)
}

/// A long literal.
pub fn long(value: i64) -> TypedExpr {
    TypedExpr::new(lit(value), KqlType::Long)
}

/// A real literal.
pub fn real(value: f64) -> TypedExpr {
    TypedExpr::new(lit(value), KqlType::Real)
}

/// A timespan literal of `nanos` nanoseconds.
pub fn span(nanos: i64) -> TypedExpr {
    TypedExpr::new(
        lit(ScalarValue::DurationNanosecond(Some(nanos))),
        KqlType::Timespan,
    )
}

/// A datetime literal.
pub fn datetime(text: &str) -> TypedExpr {
    let value = ScalarValue::TimestampNanosecond(Some(instant(text)), Some("UTC".into()));
    TypedExpr::new(lit(value), KqlType::Datetime)
}

/// A dynamic literal holding `json`.
pub fn dynamic(json: &str) -> TypedExpr {
    TypedExpr::new(lit(json), KqlType::Dynamic)
}

/// A compiled call that must have compiled.
pub fn scalar(name: &str, args: Vec<TypedExpr>) -> TypedExpr {
    scalar_call(name, args).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// A compiled aggregate that must have compiled.
pub fn aggregate(name: &str, args: Vec<TypedExpr>) -> TypedExpr {
    aggregate_call(name, args).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Why a call was refused.
pub fn refused(name: &str, args: Vec<TypedExpr>) -> FunctionError {
    match scalar_call(name, args) {
        Ok(_) => panic!("{name} compiled but should not have"),
        Err(error) => error,
    }
}

/// Evaluates a scalar expression on every fixture row, checking its Arrow type against its KQL
/// type, and reads the answers as text.
pub async fn rows(expr: TypedExpr) -> Vec<String> {
    let frame = table()
        .select(vec![expr.expr.alias("result")])
        .expect("select");
    answers(frame, expr.kind).await
}

/// Evaluates an aggregate over the whole fixture (in two partitions).
pub async fn total(expr: TypedExpr) -> String {
    let frame = fixture(2)
        .aggregate(vec![], vec![expr.expr.alias("result")])
        .expect("aggregate");
    answers(frame, expr.kind).await.join("|")
}

/// Evaluates an aggregate per group `g` (`a` then `b`).
pub async fn per_group(expr: TypedExpr) -> Vec<String> {
    let frame = fixture(2)
        .aggregate(vec![col("g")], vec![expr.expr.alias("result")])
        .and_then(|frame| frame.sort(vec![col("g").sort(true, true)]))
        .and_then(|frame| frame.select(vec![col("result")]))
        .expect("aggregate by group");
    answers(frame, expr.kind).await
}

/// Evaluates a follow-up expression over the result of an aggregate (as the compiler does for
/// `percentiles`).
pub async fn after_total(
    aggregated: TypedExpr,
    then: impl Fn(TypedExpr) -> Vec<TypedExpr>,
) -> Vec<String> {
    let frame = fixture(2)
        .aggregate(vec![], vec![aggregated.expr.alias("result")])
        .expect("aggregate");
    let columns = then(TypedExpr::new(col("result"), aggregated.kind));
    let mut all = Vec::new();
    for item in columns {
        let frame = frame
            .clone()
            .select(vec![item.expr.alias("item")])
            .expect("select");
        all.extend(answers(frame, item.kind).await);
    }
    all
}

async fn answers(frame: DataFrame, kind: KqlType) -> Vec<String> {
    let batches = frame.collect().await.expect("the plan runs");
    let mut values = Vec::new();
    for batch in batches {
        let array = batch.column(0);
        assert_eq!(
            array.data_type(),
            &kind.arrow_type(),
            "the result's Arrow type is its KQL type's"
        );
        values.extend((0..array.len()).map(|row| render(array, row)));
    }
    values
}

/// One value as text: `null`, text as is, datetimes as RFC 3339, timespans in nanoseconds.
fn render(array: &ArrayRef, row: usize) -> String {
    if array.is_null(row) {
        return "null".to_owned();
    }
    let value = ScalarValue::try_from_array(array, row).expect("a value");
    match (array.data_type(), value) {
        (DataType::Timestamp(..), ScalarValue::TimestampNanosecond(Some(nanos), _)) => {
            DateTime::from_timestamp_nanos(nanos)
                .format("%Y-%m-%dT%H:%M:%S%.fZ")
                .to_string()
        }
        (DataType::Duration(_), ScalarValue::DurationNanosecond(Some(nanos))) => {
            format!("{nanos}ns")
        }
        (_, ScalarValue::Utf8(Some(text))) => text,
        (_, other) => other.to_string(),
    }
}

/// A JSON array's text with its items sorted, for collections whose order Kusto leaves open.
pub fn sorted(json: &str) -> String {
    let mut items = match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(items)) => items,
        _ => return json.to_owned(),
    };
    items.sort_by_key(|item| item.to_string());
    serde_json::Value::Array(items).to_string()
}

/// Owned copies of expected answers.
pub fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// Marks an expression as of a KQL type (for a literal of another Arrow type).
pub fn typed(expr: Expr, kind: KqlType) -> TypedExpr {
    TypedExpr::new(expr, kind)
}
