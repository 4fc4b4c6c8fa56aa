//! KQL's `dynamic` values, held as JSON text: reading into them (`x.y`, `x['y']`, `x[0]`),
//! building them (`parse_json`, `pack_array`, `bag_pack`) and the array and bag functions
//! (`array_length`, `array_concat`, `array_slice`, `set_union`, `set_intersect`, `bag_keys`,
//! `bag_remove_keys`, `strcat_array`).
//!
//! Every result is normalised JSON text (compact, object keys sorted: the order Kusto keeps is not
//! kept), and a value that is not what the function expects (`array_length` of an object) is
//! null, as in Kusto.

use std::collections::HashSet;

use datafusion::arrow::array::Array;
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, cast, lit};
use serde_json::{Map, Value};

use super::args::{between, exactly};
use super::conversion::{to_json, to_text};
use super::kernel::{self, arg, call, done};
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The dynamic functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "parse_json" | "todynamic" | "parsejson" | "toobject" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(dynamic(parse_json(value)))
        },
        "array_length" => |name, args| {
            let [array] = exactly(name, args)?;
            let expr = call(
                "array_length",
                DataType::Int64,
                array_length_kernel,
                vec![json(array)],
            );
            Ok(TypedExpr::new(expr, KqlType::Long))
        },
        "pack_array" => |_, args| Ok(json_call("pack_array", pack_array_kernel, args)),
        "pack" | "bag_pack" => pack,
        "array_concat" => |name, args| arrays(name, args, "array_concat", array_concat_kernel),
        "set_union" => |name, args| arrays(name, args, "set_union", set_union_kernel),
        "set_intersect" => |name, args| arrays(name, args, "set_intersect", set_intersect_kernel),
        "bag_keys" => |name, args| {
            let [bag] = exactly(name, args)?;
            Ok(json_call("bag_keys", bag_keys_kernel, vec![bag]))
        },
        "array_slice" => array_slice,
        "bag_remove_keys" => |name, args| {
            let [bag, keys] = exactly(name, args)?;
            let args = vec![json(bag), json(keys)];
            Ok(dynamic(call(
                "bag_remove_keys",
                DataType::Utf8,
                bag_remove_keys_kernel,
                args,
            )))
        },
        "strcat_array" => |name, args| {
            let [array, delimiter] = exactly(name, args)?;
            let args = vec![json(array), to_text(delimiter)];
            let expr = call("strcat_array", DataType::Utf8, strcat_array_kernel, args);
            Ok(TypedExpr::new(expr, KqlType::String))
        },
        _ => return None,
    };
    Some(builder)
}

/// `x.y` and `x['y']`: the member `key` of a dynamic bag; null when `base` is not a bag or lacks
/// the key. A `string` base is read as JSON text too.
pub fn member(base: TypedExpr, key: &str) -> TypedExpr {
    let args = vec![json(base), lit(key)];
    dynamic(call("member", DataType::Utf8, member_kernel, args))
}

/// `x[i]` (a whole-number index into an array, negative counting from the end) or `x[k]` (a
/// string key into a bag); an index whose type is only known per row (a `dynamic`) is read as a
/// key for a bag and as a number for an array. Null when there is no such element.
pub fn element(base: TypedExpr, index: TypedExpr) -> TypedExpr {
    let base = json(base);
    match index.kind {
        KqlType::Int | KqlType::Long => {
            let args = vec![base, cast(index.expr, DataType::Int64)];
            dynamic(call("element", DataType::Utf8, index_kernel, args))
        }
        _ => dynamic(call(
            "member",
            DataType::Utf8,
            member_kernel,
            vec![base, to_text(index)],
        )),
    }
}

fn dynamic(expr: Expr) -> TypedExpr {
    TypedExpr::new(expr, KqlType::Dynamic)
}

/// A value as JSON text: a `string` argument is read as JSON text (as `parse_json` would), any
/// other as the dynamic value it converts to.
fn json(value: TypedExpr) -> Expr {
    match value.kind {
        KqlType::String => parse_json(value),
        _ => to_json(value),
    }
}

/// `parse_json`: text parsed and normalised; text that is not JSON becomes a JSON string, the
/// empty string null. A value that is not text is converted as `dynamic` holds it.
fn parse_json(value: TypedExpr) -> Expr {
    match value.kind {
        KqlType::String | KqlType::Guid => call(
            "parse_json",
            DataType::Utf8,
            parse_json_kernel,
            vec![value.expr],
        ),
        _ => to_json(value),
    }
}

/// A call of a kernel that takes and returns JSON text.
fn json_call(name: &'static str, kernel: kernel::Kernel, args: Vec<TypedExpr>) -> TypedExpr {
    let args = args.into_iter().map(to_json).collect();
    dynamic(call(name, DataType::Utf8, kernel, args))
}

fn arrays(
    name: &str,
    args: Vec<TypedExpr>,
    plan_name: &'static str,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let args = between(name, args, 1, usize::MAX)?;
    Ok(dynamic(call(
        plan_name,
        DataType::Utf8,
        kernel,
        args.into_iter().map(json).collect(),
    )))
}

fn pack(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    if !args.len().is_multiple_of(2) {
        return Err(FunctionError::Arity {
            name: name.to_owned(),
            expected: "an even number of".to_owned(),
            got: args.len(),
        });
    }
    let args = args
        .into_iter()
        .enumerate()
        .map(|(position, arg)| {
            if position % 2 == 0 {
                to_text(arg)
            } else {
                to_json(arg)
            }
        })
        .collect();
    Ok(dynamic(call("bag_pack", DataType::Utf8, pack_kernel, args)))
}

fn array_slice(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let [array, start, end] = exactly(name, args)?;
    let args = vec![
        json(array),
        cast(start.expr, DataType::Int64),
        cast(end.expr, DataType::Int64),
    ];
    Ok(dynamic(call(
        "array_slice",
        DataType::Utf8,
        array_slice_kernel,
        args,
    )))
}

/// Parses JSON text; `None` for null or text that is not JSON.
pub(crate) fn parse(text: Option<&str>) -> Option<Value> {
    text.and_then(|text| serde_json::from_str(text).ok())
}

/// The JSON text of a value, null for JSON null (a missing or null dynamic is null).
pub(crate) fn write(value: Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_string())
}

/// Each row's arguments parsed as JSON, handed to `build`, its value written back.
fn json_rows(
    args: &[ArrayRef],
    build: impl Fn(Vec<Option<Value>>) -> Option<Value>,
) -> Result<ArrayRef> {
    let columns = args.iter().map(kernel::texts).collect::<Result<Vec<_>>>()?;
    let rows = args.first().map_or(0, |first| first.len());
    let built: StringArray = (0..rows)
        .map(|row| {
            let values = columns
                .iter()
                .map(|column| parse(column.is_valid(row).then(|| column.value(row))))
                .collect();
            build(values).and_then(write)
        })
        .collect();
    done(built)
}

fn parse_json_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let text = kernel::texts(arg(args, 0)?)?;
    let parsed: StringArray = text
        .iter()
        .map(|value| {
            let value = value.filter(|value| !value.is_empty())?;
            let parsed = serde_json::from_str::<Value>(value)
                .unwrap_or_else(|_| Value::String(value.to_owned()));
            write(parsed)
        })
        .collect();
    done(parsed)
}

fn member_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let json = kernel::texts(arg(args, 0)?)?;
    let keys = kernel::texts(arg(args, 1)?)?;
    let members: StringArray = json
        .iter()
        .zip(keys.iter())
        .map(|(value, key)| match parse(value)? {
            Value::Object(mut bag) => bag.remove(key?).and_then(write),
            Value::Array(mut items) => {
                let position = resolve_index(key?.trim().parse().ok()?, items.len())?;
                write(items.swap_remove(position))
            }
            _ => None,
        })
        .collect();
    done(members)
}

fn index_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let json = kernel::texts(arg(args, 0)?)?;
    let indexes = kernel::longs(arg(args, 1)?)?;
    let elements: StringArray = json
        .iter()
        .zip(indexes.iter())
        .map(|(value, index)| match parse(value)? {
            Value::Array(mut items) => {
                let position = resolve_index(index?, items.len())?;
                write(items.swap_remove(position))
            }
            _ => None,
        })
        .collect();
    done(elements)
}

/// A possibly negative index into a sequence of `len`, if it falls inside it.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let position = if index < 0 { len + index } else { index };
    (0..len)
        .contains(&position)
        .then(|| usize::try_from(position).ok())?
}

fn array_length_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let json = kernel::texts(arg(args, 0)?)?;
    let lengths: Int64Array = json
        .iter()
        .map(|value| match parse(value)? {
            Value::Array(items) => i64::try_from(items.len()).ok(),
            _ => None,
        })
        .collect();
    done(lengths)
}

fn pack_array_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    json_rows(args, |values| {
        Some(Value::Array(
            values.into_iter().map(Option::unwrap_or_default).collect(),
        ))
    })
}

fn pack_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let keys = args
        .iter()
        .step_by(2)
        .map(kernel::texts)
        .collect::<Result<Vec<_>>>()?;
    let values: Vec<ArrayRef> = args.iter().skip(1).step_by(2).cloned().collect();
    let values = values
        .iter()
        .map(kernel::texts)
        .collect::<Result<Vec<_>>>()?;
    let rows = args.first().map_or(0, |first| first.len());
    let bags: StringArray = (0..rows)
        .map(|row| {
            let bag: Map<String, Value> = keys
                .iter()
                .zip(&values)
                .map(|(key, value)| {
                    let value = parse(value.is_valid(row).then(|| value.value(row)));
                    (key.value(row).to_owned(), value.unwrap_or_default())
                })
                .collect();
            write(Value::Object(bag))
        })
        .collect();
    done(bags)
}

/// The array items of each argument, or `None` when one is not an array.
fn array_items(values: Vec<Option<Value>>) -> Option<Vec<Vec<Value>>> {
    values
        .into_iter()
        .map(|value| match value? {
            Value::Array(items) => Some(items),
            _ => None,
        })
        .collect()
}

fn array_concat_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    json_rows(args, |values| {
        Some(Value::Array(array_items(values)?.concat()))
    })
}

/// Values without repeats, in first-seen order.
fn distinct(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = HashSet::new();
    values
        .into_iter()
        .filter(|value| seen.insert(value.to_string()))
        .collect()
}

fn set_union_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    json_rows(args, |values| {
        Some(Value::Array(distinct(array_items(values)?.concat())))
    })
}

fn set_intersect_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    json_rows(args, |values| {
        let mut arrays = array_items(values)?.into_iter();
        let first = distinct(arrays.next()?);
        let others: Vec<HashSet<String>> = arrays
            .map(|items| items.iter().map(Value::to_string).collect())
            .collect();
        let common = first.into_iter().filter(|value| {
            others
                .iter()
                .all(|other| other.contains(&value.to_string()))
        });
        Some(Value::Array(common.collect()))
    })
}

fn bag_keys_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    json_rows(args, |values| match values.into_iter().next()?? {
        Value::Object(bag) => Some(Value::Array(
            bag.keys().cloned().map(Value::String).collect(),
        )),
        _ => None,
    })
}

fn bag_remove_keys_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    json_rows(args, |values| {
        let mut values = values.into_iter();
        let Value::Object(mut bag) = values.next()?? else {
            return None;
        };
        if let Some(Some(Value::Array(keys))) = values.next() {
            keys.iter().for_each(|key| {
                bag.remove(&scalar_text(key));
            });
        }
        Some(Value::Object(bag))
    })
}

fn array_slice_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let json = kernel::texts(arg(args, 0)?)?;
    let starts = kernel::longs(arg(args, 1)?)?;
    let ends = kernel::longs(arg(args, 2)?)?;
    let slices: StringArray = (0..json.len())
        .map(|row| {
            let Value::Array(items) = parse(json.is_valid(row).then(|| json.value(row)))? else {
                return None;
            };
            let len = i64::try_from(items.len()).ok()?;
            let clamp = |index: i64| {
                if index < 0 {
                    (len + index).max(0)
                } else {
                    index.min(len)
                }
            };
            let start =
                usize::try_from(clamp(starts.is_valid(row).then(|| starts.value(row))?)).ok()?;
            let end =
                usize::try_from(clamp(ends.is_valid(row).then(|| ends.value(row))?) + 1).ok()?;
            let slice = items
                .get(start..end.min(items.len()).max(start))
                .unwrap_or_default();
            write(Value::Array(slice.to_vec()))
        })
        .collect();
    done(slices)
}

fn strcat_array_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let json = kernel::texts(arg(args, 0)?)?;
    let delimiters = kernel::texts(arg(args, 1)?)?;
    let joined: StringArray = json
        .iter()
        .zip(delimiters.iter())
        .map(|(value, delimiter)| {
            let Some(Value::Array(items)) = parse(value) else {
                return Some(String::new());
            };
            let parts: Vec<String> = items.iter().map(scalar_text).collect();
            Some(parts.join(kernel::or_empty(delimiter)))
        })
        .collect();
    done(joined)
}

/// The bare text of a JSON value as `tostring` gives it.
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
