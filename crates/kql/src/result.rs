//! A query's rows as Log Analytics answers them: each column named and typed, each value in the
//! JSON form the query API uses (datetimes with seven fractional digits and `Z`, timespans as
//! `[d.]hh:mm:ss[.fffffff]`, `dynamic` values as their JSON text, numbers as numbers).

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DurationNanosecondType, Float64Type, Int32Type, Int64Type, Schema, TimestampNanosecondType,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::{DataFrame, SessionContext};
use serde_json::Value;

use crate::compile::{QueryOptions, compile};
use crate::error::KqlError;
use crate::literal::{format_datetime, format_timespan};
use crate::types::KqlType;

/// A query's answer: the columns with their KQL types, and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct KqlResult {
    /// Each column's name and type, in order.
    pub columns: Vec<(String, KqlType)>,
    /// The rows, each value in its Log Analytics JSON form.
    pub rows: Vec<Vec<Value>>,
}

/// Compiles and runs `text` over the tables of `ctx`.
pub async fn run(
    text: &str,
    ctx: &SessionContext,
    options: &QueryOptions,
) -> Result<KqlResult, KqlError> {
    let df = compile(text, ctx, options).await?;
    collect(df).await
}

/// Runs a compiled query and converts its rows.
pub async fn collect(df: DataFrame) -> Result<KqlResult, KqlError> {
    let schema: Schema = df.schema().as_arrow().clone();
    let batches = df
        .collect()
        .await
        .map_err(|e| KqlError::Engine(e.to_string()))?;
    to_result(&schema, &batches)
}

/// Converts record batches of `schema` into a [`KqlResult`].
pub fn to_result(schema: &Schema, batches: &[RecordBatch]) -> Result<KqlResult, KqlError> {
    let columns: Vec<(String, KqlType)> = schema
        .fields()
        .iter()
        .map(|field| (field.name().clone(), KqlType::of_field(field)))
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        let mut values: Vec<Vec<Value>> = Vec::with_capacity(columns.len());
        for ((_, kind), array) in columns.iter().zip(batch.columns()) {
            values.push(json_values(array, *kind)?);
        }
        for row in 0..batch.num_rows() {
            rows.push(values.iter().map(|column| column[row].clone()).collect());
        }
    }
    Ok(KqlResult { columns, rows })
}

/// One column's values as JSON.
fn json_values(array: &ArrayRef, kind: KqlType) -> Result<Vec<Value>, KqlError> {
    let array = cast(array, &kind.arrow_type()).map_err(|e| KqlError::Engine(e.to_string()))?;
    let value_at = |row: usize| -> Value {
        match kind {
            KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                Value::String(array.as_string::<i32>().value(row).to_owned())
            }
            KqlType::Int => Value::from(array.as_primitive::<Int32Type>().value(row)),
            KqlType::Long => Value::from(array.as_primitive::<Int64Type>().value(row)),
            KqlType::Real => real(array.as_primitive::<Float64Type>().value(row)),
            KqlType::Bool => Value::Bool(array.as_boolean().value(row)),
            KqlType::Datetime => Value::String(format_datetime(
                array.as_primitive::<TimestampNanosecondType>().value(row),
            )),
            KqlType::Timespan => Value::String(format_timespan(
                array.as_primitive::<DurationNanosecondType>().value(row),
            )),
        }
    };
    Ok((0..array.len())
        .map(|row| {
            if array.is_null(row) {
                Value::Null
            } else {
                value_at(row)
            }
        })
        .collect())
}

/// A real as JSON; the values JSON cannot hold as numbers as Log Analytics writes them.
fn real(value: f64) -> Value {
    if value.is_nan() {
        Value::String("NaN".to_owned())
    } else if value.is_infinite() {
        let text = if value > 0.0 { "Infinity" } else { "-Infinity" };
        Value::String(text.to_owned())
    } else {
        Value::from(value)
    }
}
