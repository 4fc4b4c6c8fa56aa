//! KQL's string functions (`strlen`, `substring`, `split`, `strcat`, `tolower`, `trim`,
//! `replace_string`, `replace_regex`, `translate`, `extract`, `extract_all`, `countof`,
//! `indexof`, `unicode_codepoints_from_string`) and string operators
//! (`has`, `contains`, `startswith`, `endswith` and their `_cs` forms, `hasprefix`, `hassuffix`,
//! `has_any`, `has_all`, `matches_regex`, `in_ci`).
//!
//! Kusto's rules: every argument is read as `tostring` gives it, so a null string is `""` and an
//! operator on it is false, never null. `has` matches whole terms: a term is a maximal run of
//! alphanumeric characters, and `x has "a.b"` matches where the needle stands between term
//! boundaries. Operators without `_cs` ignore case. Regular expressions are RE2 syntax, which the
//! `regex` crate shares; a constant pattern is checked when the query is compiled.

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};
use datafusion::functions::expr_fn::{concat, lower, upper};
use datafusion::logical_expr::{Expr, cast};
use regex::Regex;
use serde_json::Value;

use super::args::{between, constant_text, exactly, invalid};
use super::conversion::{to_json, to_text};
use super::dynamic::{parse, scalar_text, write};
use super::kernel::{self, arg, call, done, or_empty};
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The string functions and operators by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "strlen" => |name, args| text_function(name, args, KqlType::Long, strlen_kernel),
        "string_size" => |name, args| text_function(name, args, KqlType::Long, string_size_kernel),
        "tolower" => |name, args| {
            let [text] = exactly(name, args)?;
            Ok(string(cast(lower(to_text(text)), DataType::Utf8)))
        },
        "toupper" => |name, args| {
            let [text] = exactly(name, args)?;
            Ok(string(cast(upper(to_text(text)), DataType::Utf8)))
        },
        "strcat" => |name, args| {
            let args = between(name, args, 1, 64)?;
            Ok(string(cast(
                concat(args.into_iter().map(to_text).collect()),
                DataType::Utf8,
            )))
        },
        "substring" => substring,
        "split" => split,
        "replace_string" => |name, args| {
            let [text, lookup, rewrite] = exactly(name, args)?;
            let args = vec![to_text(text), to_text(lookup), to_text(rewrite)];
            Ok(string(call(
                "replace_string",
                DataType::Utf8,
                replace_string_kernel,
                args,
            )))
        },
        "replace_regex" => |name, args| {
            let [text, pattern, rewrite] = exactly(name, args)?;
            let pattern = regex_arg(name, pattern)?;
            let args = vec![to_text(text), pattern, to_text(rewrite)];
            Ok(string(call(
                "replace_regex",
                DataType::Utf8,
                replace_regex_kernel,
                args,
            )))
        },
        "trim" => |name, args| trim(name, args, trim_kernel),
        "trim_start" => |name, args| trim(name, args, trim_start_kernel),
        "trim_end" => |name, args| trim(name, args, trim_end_kernel),
        "extract" => extract,
        "extract_all" => extract_all,
        "countof" => countof,
        "translate" => |name, args| {
            let [search, replacement, text] = exactly(name, args)?;
            let args = vec![to_text(search), to_text(replacement), to_text(text)];
            Ok(string(call(
                "translate",
                DataType::Utf8,
                translate_kernel,
                args,
            )))
        },
        "unicode_codepoints_from_string" => |name, args| {
            let [text] = exactly(name, args)?;
            let expr = call(name, DataType::Utf8, codepoints_kernel, vec![to_text(text)]);
            Ok(TypedExpr::new(expr, KqlType::Dynamic))
        },
        "indexof" => |name, args| {
            let [text, lookup] = exactly(name, args)?;
            let args = vec![to_text(text), to_text(lookup)];
            let expr = call("indexof", DataType::Int64, indexof_kernel, args);
            Ok(TypedExpr::new(expr, KqlType::Long))
        },
        "has" => |name, args| operator(name, args, has_kernel),
        "has_cs" => |name, args| operator(name, args, has_cs_kernel),
        "hasprefix" => |name, args| operator(name, args, hasprefix_kernel),
        "hasprefix_cs" => |name, args| operator(name, args, hasprefix_cs_kernel),
        "hassuffix" => |name, args| operator(name, args, hassuffix_kernel),
        "hassuffix_cs" => |name, args| operator(name, args, hassuffix_cs_kernel),
        "contains" => |name, args| operator(name, args, contains_kernel),
        "contains_cs" => |name, args| operator(name, args, contains_cs_kernel),
        "startswith" => |name, args| operator(name, args, startswith_kernel),
        "startswith_cs" => |name, args| operator(name, args, startswith_cs_kernel),
        "endswith" => |name, args| operator(name, args, endswith_kernel),
        "endswith_cs" => |name, args| operator(name, args, endswith_cs_kernel),
        "matches_regex" => |name, args| {
            let [text, pattern] = exactly(name, args)?;
            let args = vec![to_text(text), regex_arg(name, pattern)?];
            Ok(boolean(call(
                "matches_regex",
                DataType::Boolean,
                matches_regex_kernel,
                args,
            )))
        },
        "has_any" => |name, args| list_operator(name, args, has_any_kernel),
        "has_all" => |name, args| list_operator(name, args, has_all_kernel),
        "in_ci" => |name, args| list_operator(name, args, in_ci_kernel),
        _ => return None,
    };
    Some(builder)
}

fn string(expr: Expr) -> TypedExpr {
    TypedExpr::new(expr, KqlType::String)
}

fn boolean(expr: Expr) -> TypedExpr {
    TypedExpr::new(expr, KqlType::Bool)
}

/// A one-argument function of the text of its argument.
fn text_function(
    name: &str,
    args: Vec<TypedExpr>,
    kind: KqlType,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let [text] = exactly(name, args)?;
    let expr = call(name, kind.arrow_type(), kernel, vec![to_text(text)]);
    Ok(TypedExpr::new(expr, kind))
}

/// A two-operand string operator (`text op needle`), true or false, never null.
fn operator(
    name: &str,
    args: Vec<TypedExpr>,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let [text, needle] = exactly(name, args)?;
    Ok(boolean(call(
        name,
        DataType::Boolean,
        kernel,
        vec![to_text(text), to_text(needle)],
    )))
}

/// An operator over a value and a list (`has_any`, `has_all`, `in~`): each list argument is a
/// scalar or a dynamic array whose items all count.
fn list_operator(
    name: &str,
    args: Vec<TypedExpr>,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 2, usize::MAX)?.into_iter();
    let mut exprs = Vec::with_capacity(args.len());
    exprs.extend(args.next().map(to_text));
    exprs.extend(args.map(to_json));
    Ok(boolean(call(name, DataType::Boolean, kernel, exprs)))
}

/// A regular expression argument: checked now when constant, read as text.
fn regex_arg(name: &str, pattern: TypedExpr) -> Result<Expr, FunctionError> {
    if let Ok(text) = constant_text(name, &pattern, "the regular expression") {
        Regex::new(&text)
            .map_err(|error| invalid(name, format!("invalid regular expression: {error}")))?;
    }
    Ok(to_text(pattern))
}

fn substring(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 2, 3)?.into_iter();
    let mut exprs = Vec::with_capacity(3);
    exprs.extend(args.next().map(to_text));
    exprs.extend(args.map(|arg| cast(arg.expr, DataType::Int64)));
    Ok(string(call(
        "substring",
        DataType::Utf8,
        substring_kernel,
        exprs,
    )))
}

fn split(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 2, 3)?.into_iter();
    let mut exprs = Vec::with_capacity(3);
    exprs.extend(args.next().map(to_text));
    exprs.extend(args.next().map(to_text));
    exprs.extend(args.next().map(|index| cast(index.expr, DataType::Int64)));
    let expr = call("split", DataType::Utf8, split_kernel, exprs);
    Ok(TypedExpr::new(expr, KqlType::Dynamic))
}

fn trim(
    name: &str,
    args: Vec<TypedExpr>,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let [pattern, text] = exactly(name, args)?;
    let args = vec![regex_arg(name, pattern)?, to_text(text)];
    Ok(string(call("trim", DataType::Utf8, kernel, args)))
}

fn extract(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let [pattern, group, text] = exactly(name, args)?;
    let args = vec![
        regex_arg(name, pattern)?,
        cast(group.expr, DataType::Int64),
        to_text(text),
    ];
    Ok(string(call(
        "extract",
        DataType::Utf8,
        extract_kernel,
        args,
    )))
}

fn extract_all(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let args = between(name, args, 2, 3)?;
    let exprs = match <[TypedExpr; 2]>::try_from(args) {
        Ok([pattern, text]) => vec![regex_arg(name, pattern)?, to_text(text)],
        Err(args) => {
            let [pattern, groups, text] = exactly(name, args)?;
            vec![regex_arg(name, pattern)?, to_text(text), to_json(groups)]
        }
    };
    let expr = call("extract_all", DataType::Utf8, extract_all_kernel, exprs);
    Ok(TypedExpr::new(expr, KqlType::Dynamic))
}

fn countof(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 2, 3)?;
    let regex = match args.get(2) {
        Some(kind) => match constant_text(name, kind, "the kind")?.as_str() {
            "normal" => false,
            "regex" => true,
            other => {
                return Err(invalid(
                    name,
                    format!("kind is '{other}'; it must be 'normal' or 'regex'"),
                ));
            }
        },
        None => false,
    };
    args.truncate(2);
    let [text, search] = exactly(name, args)?;
    let (search, kernel): (Expr, kernel::Kernel) = if regex {
        (regex_arg(name, search)?, countof_regex_kernel)
    } else {
        (to_text(search), countof_kernel)
    };
    let expr = call(
        "countof",
        DataType::Int64,
        kernel,
        vec![to_text(text), search],
    );
    Ok(TypedExpr::new(expr, KqlType::Long))
}

/// Maps each row's texts (null read as empty) through `each`.
fn map_texts<T, A>(args: &[ArrayRef], mut each: impl FnMut(&[&str]) -> T) -> Result<ArrayRef>
where
    A: FromIterator<T> + datafusion::arrow::array::Array + 'static,
{
    let columns = args.iter().map(kernel::texts).collect::<Result<Vec<_>>>()?;
    let rows = args.first().map_or(0, |first| first.len());
    let mapped: A = (0..rows)
        .map(|row| {
            let texts: Vec<&str> = columns
                .iter()
                .map(|column| {
                    if column.is_valid(row) {
                        column.value(row)
                    } else {
                        ""
                    }
                })
                .collect();
            each(&texts)
        })
        .collect();
    Ok(Arc::new(mapped))
}

/// Like [`map_texts`], with each row's first argument compiled as a regular expression (compiled
/// again only when it changes from one row to the next).
fn map_with_regex<T, A>(
    args: &[ArrayRef],
    pattern_at: usize,
    mut each: impl FnMut(&Regex, &[&str]) -> T,
) -> Result<ArrayRef>
where
    A: FromIterator<T> + datafusion::arrow::array::Array + 'static,
{
    let patterns = kernel::texts(arg(args, pattern_at)?)?;
    // Each distinct run of one pattern is compiled once; rows point at their run's regex.
    let mut compiled: Vec<Regex> = Vec::new();
    let mut chosen = Vec::with_capacity(patterns.len());
    for row in 0..patterns.len() {
        let changed = row == 0 || changed_from_previous(&patterns, row);
        if changed {
            let pattern = or_empty(patterns.is_valid(row).then(|| patterns.value(row)));
            let regex = Regex::new(pattern).map_err(|error| {
                DataFusionError::Execution(format!(
                    "invalid regular expression '{pattern}': {error}"
                ))
            })?;
            compiled.push(regex);
        }
        chosen.push(compiled.len() - 1);
    }
    // Every argument has one value per row, and the first row always compiles, so each row's
    // index is in bounds.
    let mut row = 0;
    map_texts::<T, A>(args, |texts| {
        let result = each(&compiled[chosen[row]], texts);
        row += 1;
        result
    })
}

/// Whether a row's text differs from the row before it (null counting as a value).
fn changed_from_previous(column: &StringArray, row: usize) -> bool {
    let previous = row - 1;
    column.is_valid(row) != column.is_valid(previous)
        || (column.is_valid(row) && column.value(row) != column.value(previous))
}

fn strlen_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<i64>, Int64Array>(args, |texts| i64::try_from(texts[0].chars().count()).ok())
}

fn string_size_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<i64>, Int64Array>(args, |texts| i64::try_from(texts[0].len()).ok())
}

fn substring_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let text = kernel::texts(arg(args, 0)?)?;
    let starts = kernel::longs(arg(args, 1)?)?;
    let lengths = args.get(2).map(kernel::longs).transpose()?;
    let parts: StringArray = (0..text.len())
        .map(|row| {
            let chars: Vec<char> = text.value(row).chars().collect();
            let len = i64::try_from(chars.len()).ok()?;
            let start = if starts.is_valid(row) {
                starts.value(row)
            } else {
                0
            };
            let start = if start < 0 {
                (len + start).max(0)
            } else {
                start.min(len)
            };
            let take = match &lengths {
                Some(lengths) if lengths.is_valid(row) => lengths.value(row).max(0),
                _ => len,
            };
            let end = start.saturating_add(take).min(len);
            let range = usize::try_from(start).ok()?..usize::try_from(end).ok()?;
            Some(
                chars
                    .get(range)
                    .unwrap_or_default()
                    .iter()
                    .collect::<String>(),
            )
        })
        .collect();
    done(parts)
}

fn split_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let indexes = args.get(2).map(kernel::longs).transpose()?;
    let mut row = 0;
    map_texts::<Option<String>, StringArray>(&args[..2.min(args.len())], |texts| {
        let parts: Vec<Value> = if texts[1].is_empty() {
            vec![Value::from(texts[0])]
        } else {
            texts[0].split(texts[1]).map(Value::from).collect()
        };
        let index = indexes
            .as_ref()
            .map(|indexes| indexes.is_valid(row).then(|| indexes.value(row)));
        row += 1;
        let parts = match index {
            None => parts,
            Some(index) => usize::try_from(index?)
                .ok()
                .and_then(|index| parts.into_iter().nth(index))
                .into_iter()
                .collect(),
        };
        write(Value::Array(parts))
    })
}

fn replace_string_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<String>, StringArray>(args, |texts| {
        Some(if texts[1].is_empty() {
            texts[0].to_owned()
        } else {
            texts[0].replace(texts[1], texts[2])
        })
    })
}

/// Kusto's `\1` group references in a rewrite, as the `regex` crate's `${1}`.
fn rewrite_template(rewrite: &str) -> String {
    let mut template = String::with_capacity(rewrite.len());
    let mut chars = rewrite.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(digit)) if digit.is_ascii_digit() => {
                template.push_str(&format!("${{{digit}}}"));
                chars.next();
            }
            ('$', _) => template.push_str("$$"),
            _ => template.push(c),
        }
    }
    template
}

fn replace_regex_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_with_regex::<Option<String>, StringArray>(args, 1, |regex, texts| {
        Some(
            regex
                .replace_all(texts[0], rewrite_template(texts[2]).as_str())
                .into_owned(),
        )
    })
}

fn trim_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    trim_with(args, true, true)
}

fn trim_start_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    trim_with(args, true, false)
}

fn trim_end_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    trim_with(args, false, true)
}

/// Removes repeated matches of the pattern from the start and/or the end of the text.
fn trim_with(args: &[ArrayRef], start: bool, end: bool) -> Result<ArrayRef> {
    map_with_regex::<Option<String>, StringArray>(args, 0, |regex, texts| {
        let mut text = texts[1];
        if start {
            while let Some(found) = regex.find(text).filter(|m| m.start() == 0 && !m.is_empty()) {
                text = &text[found.end()..];
            }
        }
        if end {
            while let Some(found) = regex
                .find_iter(text)
                .filter(|m| m.end() == text.len() && !m.is_empty())
                .last()
            {
                text = &text[..found.start()];
            }
        }
        Some(text.to_owned())
    })
}

fn extract_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let groups = kernel::longs(arg(args, 1)?)?;
    let mut row = 0;
    map_with_regex::<Option<String>, StringArray>(args, 0, |regex, texts| {
        let group = groups.is_valid(row).then(|| groups.value(row));
        row += 1;
        let group = usize::try_from(group?).ok()?;
        let found = regex
            .captures(texts[2])
            .and_then(|captures| captures.get(group));
        Some(found.map(|m| m.as_str().to_owned()).unwrap_or_default())
    })
}

fn extract_all_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let chosen = args.get(2).map(kernel::texts).transpose()?;
    let mut row = 0;
    map_with_regex::<Option<String>, StringArray>(&args[..2.min(args.len())], 0, |regex, texts| {
        let groups: Vec<usize> = match &chosen {
            Some(chosen) => match parse(chosen.is_valid(row).then(|| chosen.value(row))) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_u64)
                    .filter_map(|g| usize::try_from(g).ok())
                    .collect(),
                _ => Vec::new(),
            },
            None => (1..regex.captures_len()).collect(),
        };
        row += 1;
        let groups = if groups.is_empty() { vec![0] } else { groups };
        let matches: Vec<Value> = regex
            .captures_iter(texts[1])
            .map(|captures| {
                let mut values = groups
                    .iter()
                    .map(|&group| Value::from(captures.get(group).map_or("", |m| m.as_str())));
                match groups.len() {
                    1 => values.next().unwrap_or_default(),
                    _ => Value::Array(values.collect()),
                }
            })
            .collect();
        (!matches.is_empty()).then(|| Value::Array(matches).to_string())
    })
}

fn countof_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<i64>, Int64Array>(args, |texts| {
        let (text, search) = (texts[0], texts[1]);
        if search.is_empty() {
            return Some(0);
        }
        let starts = text
            .char_indices()
            .filter(|(at, _)| text[*at..].starts_with(search));
        i64::try_from(starts.count()).ok()
    })
}

fn countof_regex_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_with_regex::<Option<i64>, Int64Array>(args, 1, |regex, texts| {
        i64::try_from(regex.find_iter(texts[0]).filter(|m| !m.is_empty()).count()).ok()
    })
}

/// Each character of the search list becomes the character at the same place in the
/// replacement list (the last one when the replacement list is shorter), or is removed when the
/// replacement list is empty.
fn translate_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<String>, StringArray>(args, |texts| {
        let replacements: Vec<char> = texts[1].chars().collect();
        let translated = texts[2].chars().filter_map(|c| {
            match texts[0].chars().position(|search| search == c) {
                None => Some(c),
                Some(at) => replacements.get(at).or(replacements.last()).copied(),
            }
        });
        Some(translated.collect())
    })
}

fn codepoints_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<String>, StringArray>(args, |texts| {
        write(Value::Array(
            texts[0]
                .chars()
                .map(|c| Value::from(u32::from(c)))
                .collect(),
        ))
    })
}

fn indexof_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_texts::<Option<i64>, Int64Array>(args, |texts| {
        let found = texts[0].find(texts[1]);
        Some(found.map_or(-1, |at| texts[0][..at].chars().count() as i64))
    })
}

fn matches_regex_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_with_regex::<Option<bool>, BooleanArray>(args, 1, |regex, texts| {
        Some(regex.is_match(texts[0]))
    })
}

/// Applies a two-text test to every row.
fn test_texts(args: &[ArrayRef], test: fn(&str, &str) -> bool) -> Result<ArrayRef> {
    map_texts::<Option<bool>, BooleanArray>(args, |texts| Some(test(texts[0], texts[1])))
}

/// Whether a character belongs to a term.
fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Where `needle` occurs in `text` with a term boundary before it (when `at_start`) and after it
/// (when `at_end`). A needle that starts or ends with a non-term character brings its own
/// boundary there.
fn term_match(text: &str, needle: &str, at_start: bool, at_end: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    let needs_start = at_start && needle.chars().next().is_some_and(is_term_char);
    let needs_end = at_end && needle.chars().next_back().is_some_and(is_term_char);
    let mut from = 0;
    while let Some(found) = text[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        let start_ok = !needs_start || !text[..start].chars().next_back().is_some_and(is_term_char);
        let end_ok = !needs_end || !text[end..].chars().next().is_some_and(is_term_char);
        if start_ok && end_ok {
            return true;
        }
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn folded(text: &str, needle: &str, test: fn(&str, &str) -> bool) -> bool {
    test(&text.to_lowercase(), &needle.to_lowercase())
}

fn has(text: &str, needle: &str) -> bool {
    term_match(text, needle, true, true)
}

fn hasprefix(text: &str, needle: &str) -> bool {
    term_match(text, needle, true, false)
}

fn hassuffix(text: &str, needle: &str) -> bool {
    term_match(text, needle, false, true)
}

fn has_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| folded(text, needle, has))
}

fn has_cs_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, has)
}

fn hasprefix_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| folded(text, needle, hasprefix))
}

fn hasprefix_cs_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, hasprefix)
}

fn hassuffix_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| folded(text, needle, hassuffix))
}

fn hassuffix_cs_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, hassuffix)
}

fn contains_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| {
        folded(text, needle, |t, n| t.contains(n))
    })
}

fn contains_cs_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| text.contains(needle))
}

fn startswith_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| {
        folded(text, needle, |t, n| t.starts_with(n))
    })
}

fn startswith_cs_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| text.starts_with(needle))
}

fn endswith_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| {
        folded(text, needle, |t, n| t.ends_with(n))
    })
}

fn endswith_cs_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    test_texts(args, |text, needle| text.ends_with(needle))
}

/// The items of a list argument's JSON value: an array's items, or the scalar itself.
fn list_items(json: &str) -> Vec<String> {
    match parse(Some(json)) {
        Some(Value::Array(items)) => items.iter().map(scalar_text).collect(),
        Some(value) => vec![scalar_text(&value)],
        None => Vec::new(),
    }
}

/// Tests each row's text against its list (any or all items must pass `test`, which sees the
/// lowercased text and item). The list is parsed again only when it changes from the last row.
fn list_test(args: &[ArrayRef], all: bool, test: fn(&str, &str) -> bool) -> Result<ArrayRef> {
    let text = kernel::texts(arg(args, 0)?)?;
    let lists = args[1..]
        .iter()
        .map(kernel::texts)
        .collect::<Result<Vec<_>>>()?;
    let mut items: Vec<String> = Vec::new();
    let results: BooleanArray = (0..text.len())
        .map(|row| {
            if row == 0 || lists.iter().any(|list| changed_from_previous(list, row)) {
                items = lists
                    .iter()
                    .filter(|list| list.is_valid(row))
                    .flat_map(|list| list_items(list.value(row)))
                    .map(|item| item.to_lowercase())
                    .collect();
            }
            let value = if text.is_valid(row) {
                text.value(row).to_lowercase()
            } else {
                String::new()
            };
            Some(if all {
                items.iter().all(|item| test(&value, item))
            } else {
                items.iter().any(|item| test(&value, item))
            })
        })
        .collect();
    done(results)
}

fn has_any_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    list_test(args, false, has)
}

fn has_all_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    list_test(args, true, has)
}

fn in_ci_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    list_test(args, false, |value, item| value == item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_matches_whole_terms_and_phrases() {
        assert!(has("north america", "america"));
        assert!(!has("kustoexplorerqueryrun", "explorer"));
        assert!(has("ip 10.1.2.3 seen", "10.1.2.3"));
        assert!(!has("ip 110.1.2.3 seen", "10.1.2.3"));
        assert!(hasprefix("north america", "amer"));
        assert!(!hasprefix("north america", "merica"));
        assert!(hassuffix("north america", "rica"));
        assert!(has("a-b", "-b"));
    }

    #[test]
    fn rewrites_translate_group_references() {
        assert_eq!(rewrite_template(r"\1-$x"), "${1}-$$x");
    }
}
