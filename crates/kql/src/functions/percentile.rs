//! KQL's `percentile` and `percentiles` aggregates: exact nearest-rank percentiles (the value at
//! rank ⌈p/100 × n⌉ of the sorted values, so the answer is always one of the inputs, as with
//! Kusto on small sets; Kusto estimates with T-Digest on large ones, so its answers there may
//! differ slightly from these exact ones).
//!
//! Values are kept as 64-bit floats; a datetime or timespan therefore comes back rounded to
//! about a quarter of a microsecond.

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::array::{ArrayRef, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, Expr};
use serde_json::Value;

use super::collect::{state_values, text_state_call};
use super::text_forms::{format_instant, format_span};

/// A call of `percentile` (one percent: the result has the value's Arrow type `value_type`) or
/// `percentiles` (several: the result is a JSON array, each value written as `dynamic` holds it).
pub(crate) fn percentile_call(
    name: &str,
    percents: Vec<f64>,
    value_type: DataType,
    as_array: bool,
    values: Expr,
) -> Expr {
    let identity = format!("{percents:?}:{value_type}:{as_array}");
    let returns = if as_array {
        DataType::Utf8
    } else {
        value_type.clone()
    };
    let make = Arc::new(move || -> Box<dyn Accumulator> {
        Box::new(NearestRank {
            percents: percents.clone(),
            value_type: value_type.clone(),
            as_array,
            values: Vec::new(),
        })
    });
    text_state_call(name, identity, returns, make, values)
}

/// Keeps every value of a group and picks the nearest-rank percentiles at the end.
#[derive(Debug)]
struct NearestRank {
    percents: Vec<f64>,
    value_type: DataType,
    as_array: bool,
    values: Vec<f64>,
}

impl NearestRank {
    /// The value at each percent's rank, the values sorted; none when there are no values.
    fn picks(&mut self) -> Option<Vec<f64>> {
        if self.values.is_empty() {
            return None;
        }
        self.values.sort_by(f64::total_cmp);
        let count = self.values.len();
        let picks = self.percents.iter().map(|percent| {
            let rank = (percent / 100.0 * count as f64).ceil() as usize;
            self.values[rank.clamp(1, count) - 1]
        });
        Some(picks.collect())
    }

    /// A picked value as the scalar of the value's type.
    fn scalar(&self, value: f64) -> Result<ScalarValue> {
        match self.value_type {
            DataType::Float64 => Ok(ScalarValue::Float64(Some(value))),
            _ => ScalarValue::Int64(Some(value.round() as i64)).cast_to(&self.value_type),
        }
    }

    /// A picked value as the JSON a `dynamic` holds for the value's type.
    fn json(&self, value: f64) -> Value {
        match self.value_type {
            DataType::Float64 => {
                serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
            }
            DataType::Timestamp(..) => Value::from(format_instant(value.round() as i64)),
            DataType::Duration(_) => Value::from(format_span(value.round() as i64)),
            _ => Value::from(value.round() as i64),
        }
    }
}

impl Accumulator for NearestRank {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let column = values
            .first()
            .ok_or_else(|| DataFusionError::Internal("percentile has no argument".to_owned()))?;
        let numbers = column
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or_else(|| DataFusionError::Internal("percentile expects reals".to_owned()))?;
        self.values
            .extend(numbers.iter().flatten().filter(|value| !value.is_nan()));
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let picks = self.picks();
        if self.as_array {
            let Some(picks) = picks else {
                return Ok(ScalarValue::Utf8(None));
            };
            let array = Value::Array(picks.iter().map(|&value| self.json(value)).collect());
            return Ok(ScalarValue::Utf8(Some(array.to_string())));
        }
        match picks.as_deref() {
            Some([value, ..]) => self.scalar(*value),
            _ => ScalarValue::try_from(&self.value_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * std::mem::size_of::<f64>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values = Value::from(self.values.clone()).to_string();
        Ok(vec![ScalarValue::Utf8(Some(values))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for partial in state_values(states)? {
            if let Value::Array(values) = partial {
                self.values.extend(values.iter().filter_map(Value::as_f64));
            }
        }
        Ok(())
    }
}
