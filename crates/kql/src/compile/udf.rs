//! The few DataFusion functions the operators themselves need and DataFusion lacks: splitting a
//! `dynamic` value (JSON text) into the elements `mv-expand` turns into rows, and filling the
//! bins of a `make-series` into the JSON arrays KQL answers with.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListArray, StringArray, StringBuilder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use serde_json::Value;

use crate::literal::format_datetime;

/// What [`Elements`] yields for each element of a dynamic value.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Yield {
    /// The element's JSON text (a bag's entries as one-entry bags).
    Values,
    /// The element's position, from 0.
    Positions,
}

/// `kql_mv_elements(json)` / `kql_mv_positions(json)`: an array's elements (or a bag's entries) as
/// a list; a scalar is a list of itself, null stays null, an empty array an empty list.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Elements {
    signature: Signature,
    yields: Yield,
}

fn elements_of(text: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.iter().map(Value::to_string).collect(),
        Ok(Value::Object(entries)) => entries
            .into_iter()
            .map(|(key, value)| Value::Object([(key, value)].into_iter().collect()).to_string())
            .collect(),
        Ok(value) => vec![value.to_string()],
        Err(_) => vec![Value::String(text.to_owned()).to_string()],
    }
}

impl ScalarUDFImpl for Elements {
    fn name(&self) -> &str {
        match self.yields {
            Yield::Values => "kql_mv_elements",
            Yield::Positions => "kql_mv_positions",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        let item = match self.yields {
            Yield::Values => DataType::Utf8,
            Yield::Positions => DataType::Int64,
        };
        Ok(DataType::List(Arc::new(Field::new_list_field(item, true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = text_array(&arrays[0])?;
        let mut offsets = vec![0i32];
        let mut nulls = Vec::with_capacity(texts.len());
        let mut values = StringBuilder::new();
        let mut positions = Vec::new();
        for row in 0..texts.len() {
            let elements = if texts.is_null(row) {
                Vec::new()
            } else {
                elements_of(texts.value(row))
            };
            nulls.push(!texts.is_null(row));
            for (index, element) in elements.iter().enumerate() {
                values.append_value(element);
                positions.push(i64::try_from(index).unwrap_or(i64::MAX));
            }
            let end = offsets.last().copied().unwrap_or(0)
                + i32::try_from(elements.len()).map_err(|e| DataFusionError::External(e.into()))?;
            offsets.push(end);
        }
        let (field, items): (_, ArrayRef) = match self.yields {
            Yield::Values => (
                Field::new_list_field(DataType::Utf8, true),
                Arc::new(values.finish()),
            ),
            Yield::Positions => (
                Field::new_list_field(DataType::Int64, true),
                Arc::new(Int64Array::from(positions)),
            ),
        };
        let list = ListArray::try_new(
            Arc::new(field),
            OffsetBuffer::new(offsets.into()),
            items,
            Some(nulls.into()),
        )?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

fn text_array(array: &ArrayRef) -> Result<StringArray> {
    let text = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(text.as_string::<i32>().clone())
}

/// `kql_mv_elements(json)`: see [`Elements`].
pub(crate) fn mv_elements(json: Expr) -> Expr {
    elements_udf(Yield::Values).call(vec![json])
}

/// `kql_mv_positions(json)`: see [`Elements`].
pub(crate) fn mv_positions(json: Expr) -> Expr {
    elements_udf(Yield::Positions).call(vec![json])
}

fn elements_udf(yields: Yield) -> ScalarUDF {
    ScalarUDF::new_from_impl(Elements {
        signature: Signature::any(1, Volatility::Immutable),
        yields,
    })
}

/// `kql_series_fill(bins, values, first, end, step, default)`: the JSON array of one series, one
/// value per bin from `first` (inclusive) to `end` (exclusive) by `step`, `default` where a bin
/// has no value. `bins` are the bins' starts (nanoseconds); `values` and `default` are numbers.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SeriesFill {
    signature: Signature,
}

/// `kql_series_axis(first, end, step)`: the JSON array of the bins' starts, as datetimes.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SeriesAxis {
    signature: Signature,
}

/// The most bins one series may hold.
pub(crate) const MAX_BINS: i64 = 100_000;

fn bin_count(first: i64, end: i64, step: i64) -> Result<i64> {
    if step <= 0 {
        return Err(DataFusionError::Execution(
            "make-series: step must be positive".to_owned(),
        ));
    }
    let count = end.saturating_sub(first).saturating_add(step - 1).max(0) / step;
    if count > MAX_BINS {
        return Err(DataFusionError::Execution(format!(
            "make-series: {count} bins exceed the limit of {MAX_BINS}"
        )));
    }
    Ok(count)
}

/// A number of a numeric array at `row`, as JSON.
fn number_at(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Int64 => Value::from(array.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => Value::from(array.as_primitive::<Float64Type>().value(row)),
        _ => Value::Null,
    }
}

fn scalar_i64(array: &ArrayRef, row: usize) -> Option<i64> {
    let values = array.as_any().downcast_ref::<Int64Array>()?;
    (!values.is_null(row)).then(|| values.value(row))
}

impl ScalarUDFImpl for SeriesFill {
    fn name(&self) -> &str {
        "kql_series_fill"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (bins, values) = (arrays[0].as_list::<i32>(), arrays[1].as_list::<i32>());
        let mut output = StringBuilder::new();
        for row in 0..bins.len() {
            let (Some(first), Some(end), Some(step)) = (
                scalar_i64(&arrays[2], row),
                scalar_i64(&arrays[3], row),
                scalar_i64(&arrays[4], row),
            ) else {
                output.append_null();
                continue;
            };
            let count = bin_count(first, end, step)?;
            let default = number_at(&arrays[5], row);
            let mut series = vec![default; usize::try_from(count).unwrap_or(0)];
            if !bins.is_null(row) {
                let starts = bins.value(row);
                let starts = starts.as_primitive::<Int64Type>();
                let row_values = values.value(row);
                for index in 0..starts.len() {
                    let slot = (starts.value(index) - first) / step;
                    if let Some(cell) = usize::try_from(slot).ok().and_then(|s| series.get_mut(s)) {
                        let value = number_at(&row_values, index);
                        if !value.is_null() {
                            *cell = value;
                        }
                    }
                }
            }
            output.append_value(Value::Array(series).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(output.finish())))
    }
}

impl ScalarUDFImpl for SeriesAxis {
    fn name(&self) -> &str {
        "kql_series_axis"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut output = StringBuilder::new();
        for row in 0..arrays[0].len() {
            let (Some(first), Some(end), Some(step)) = (
                scalar_i64(&arrays[0], row),
                scalar_i64(&arrays[1], row),
                scalar_i64(&arrays[2], row),
            ) else {
                output.append_null();
                continue;
            };
            let axis: Vec<Value> = (0..bin_count(first, end, step)?)
                .map(|k| Value::String(format_datetime(first + k * step)))
                .collect();
            output.append_value(Value::Array(axis).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(output.finish())))
    }
}

/// `kql_series_fill(...)`: see [`SeriesFill`]. Bins and bounds are Int64 nanoseconds; values and
/// default must be Int64 or Float64.
pub(crate) fn series_fill(args: Vec<Expr>) -> Expr {
    ScalarUDF::new_from_impl(SeriesFill {
        signature: Signature::any(6, Volatility::Immutable),
    })
    .call(args)
}

/// `kql_series_axis(first, end, step)`: see [`SeriesAxis`].
pub(crate) fn series_axis(first: Expr, end: Expr, step: Expr) -> Expr {
    ScalarUDF::new_from_impl(SeriesAxis {
        signature: Signature::any(3, Volatility::Immutable),
    })
    .call(vec![first, end, step])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_split_arrays_bags_and_scalars() {
        assert_eq!(
            elements_of(r#"[1,"a",{"b":2}]"#),
            vec!["1", "\"a\"", r#"{"b":2}"#]
        );
        assert_eq!(
            elements_of(r#"{"x":1,"y":2}"#),
            vec![r#"{"x":1}"#, r#"{"y":2}"#]
        );
        assert_eq!(elements_of("5"), vec!["5"]);
        assert!(elements_of("[]").is_empty());
        assert_eq!(elements_of("plain"), vec!["\"plain\""]);
    }

    #[test]
    fn bins_round_up_and_refuse_nonsense() {
        assert_eq!(bin_count(0, 10, 3).unwrap(), 4);
        assert_eq!(bin_count(0, 9, 3).unwrap(), 3);
        assert_eq!(bin_count(10, 0, 3).unwrap(), 0);
        assert!(bin_count(0, 10, 0).is_err());
        assert!(bin_count(0, i64::MAX / 2, 1).is_err());
    }
}
