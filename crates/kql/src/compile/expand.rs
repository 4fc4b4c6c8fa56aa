//! Operators that turn one row into several or split text into columns: `mv-expand` (a dynamic
//! array's elements become rows, in parallel across several arrays), `mv-apply` (a subquery over
//! each row's expanded elements), and `parse` / `parse-where` (a pattern's columns extracted by a
//! regular expression).

use datafusion::common::UnnestOptions;
use datafusion::functions::expr_fn::{coalesce, regexp_like, regexp_match};
use datafusion::functions_nested::expr_fn::{array_element, array_slice};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr_fn::try_cast;
use datafusion::logical_expr::lit;
use datafusion::prelude::DataFrame;

use super::expr::{Context, convert};
use super::operators::with_column;
use super::{Compiler, Scope, all_columns, column, engine, select, semantic, typed_column};
use crate::ast::{self, MvExpand, OperatorKind, Parse, ParsePart, Pipeline};
use crate::error::KqlError;
use crate::functions::TypedExpr;
use crate::types::KqlType;

const ROW: &str = "__row";

impl Compiler {
    /// `mv-expand`: returns the expanded frame and the names of the expanded columns.
    pub(crate) fn mv_expand(
        &self,
        df: DataFrame,
        expand: &MvExpand,
        scope: &Scope,
    ) -> Result<(DataFrame, Vec<String>), KqlError> {
        let limit = match &expand.limit {
            Some(limit) => Some(self.row_count(limit, scope)?),
            None => None,
        };
        let input = all_columns(&df);
        let mut selected: Vec<(String, TypedExpr)> = input
            .iter()
            .map(|(name, kind)| (name.clone(), typed_column(name, *kind)))
            .collect();
        let mut hidden = Vec::new();
        let mut outputs = Vec::new();
        for (index, item) in expand.items.iter().enumerate() {
            let name = item
                .name
                .clone()
                .or_else(|| item.expr.derived_name())
                .ok_or_else(|| semantic(item.expr.offset, "name the expanded value: Name = ..."))?;
            let value = self.expr(&item.expr, &Context::new(df.schema(), scope))?;
            let mut elements = super::udf::mv_elements(value.expr.clone());
            if let Some(limit) = limit {
                let last = i64::try_from(limit).unwrap_or(i64::MAX);
                elements = array_slice(elements, lit(1i64), lit(last), None);
            }
            let list = format!("__expand{index}");
            if index == 0
                && let Some(index_name) = &expand.item_index
            {
                let positions = TypedExpr {
                    expr: super::udf::mv_positions(value.expr),
                    kind: KqlType::Long,
                };
                selected.push(("__positions".to_owned(), positions));
                hidden.push("__positions".to_owned());
                outputs.push((index_name.clone(), "__positions".to_owned(), None));
            }
            let elements = TypedExpr {
                expr: elements,
                kind: KqlType::Dynamic,
            };
            selected.push((list.clone(), elements));
            hidden.push(list.clone());
            outputs.push((name, list, Some(item.to)));
        }
        let listed = select(df, selected)?;
        let names: Vec<&str> = hidden.iter().map(String::as_str).collect();
        let unnested = listed
            .unnest_columns_with_options(&names, UnnestOptions::new().with_preserve_nulls(true))
            .map_err(engine)?;
        let mut result: Vec<(String, TypedExpr)> = input
            .iter()
            .map(|(name, kind)| (name.clone(), typed_column(name, *kind)))
            .collect();
        let mut expanded = Vec::new();
        for (name, list, to) in outputs {
            let value = match to {
                None => typed_column(&list, KqlType::Long),
                Some(None) => typed_column(&list, KqlType::Dynamic),
                Some(Some(kind)) => convert(typed_column(&list, KqlType::Dynamic), kind, 0)?,
            };
            match result.iter_mut().find(|(existing, _)| *existing == name) {
                Some(slot) => slot.1 = value,
                None => result.push((name.clone(), value)),
            }
            expanded.push(name);
        }
        Ok((select(unnested, result)?, expanded))
    }

    /// `mv-apply items on (subquery)`: the subquery runs over each input row's expanded items, and
    /// its rows are joined back to that input row.
    pub(crate) fn mv_apply(
        &self,
        df: DataFrame,
        expand: &MvExpand,
        subquery: &Pipeline,
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let numbered = df.window(vec![row_number().alias(ROW)]).map_err(engine)?;
        let input = all_columns(&numbered);
        let (expanded, names) = self.mv_expand(numbered.clone(), expand, scope)?;
        let mut kept: Vec<(String, TypedExpr)> =
            vec![(ROW.to_owned(), typed_column(ROW, KqlType::Long))];
        for (name, kind) in all_columns(&expanded) {
            if names.contains(&name) {
                kept.push((name.clone(), typed_column(&name, kind)));
            }
        }
        let items = select(expanded, kept)?;
        let applied = self.per_row_operators(items, &subquery.operators, offset, scope)?;
        let outer: Vec<(String, KqlType)> = input
            .into_iter()
            .filter(|(name, _)| !names.contains(name))
            .collect();
        let outer_frame = select(
            numbered,
            outer
                .iter()
                .map(|(name, kind)| (name.clone(), typed_column(name, *kind)))
                .collect(),
        )?;
        let pairs = [(ROW.to_owned(), ROW.to_owned())];
        let joined = super::join::inner_join_on_names(outer_frame, applied, &pairs, offset)?;
        let columns = all_columns(&joined)
            .into_iter()
            .filter(|(name, _)| name != ROW)
            .map(|(name, kind)| {
                let reference = typed_column(&name, kind);
                (name, reference)
            })
            .collect();
        select(joined, columns)
    }

    /// The operators of an `mv-apply` subquery, each kept within its input row: `summarize` groups
    /// by the row too, `top`/`take` rank within it, the others keep the row number.
    fn per_row_operators(
        &self,
        mut df: DataFrame,
        operators: &[ast::Operator],
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let row_key = ast::Assignment {
            names: vec![ROW.to_owned()],
            expr: ast::Expr::new(ast::ExprKind::Name(ROW.to_owned()), offset),
        };
        for operator in operators {
            df = match &operator.kind {
                OperatorKind::Summarize { aggregates, by } => {
                    let mut keys = vec![row_key.clone()];
                    keys.extend(by.iter().cloned());
                    self.summarize(df, aggregates, &keys, scope)?
                }
                OperatorKind::Top { count, by } => {
                    let rows = self.row_count(count, scope)?;
                    let order = self.sort_exprs(&df, by, scope)?;
                    super::join::rank_within(df, vec![column(ROW)], order, rows)?
                }
                OperatorKind::Take(count) => {
                    let rows = self.row_count(count, scope)?;
                    super::join::rank_within(df, vec![column(ROW)], Vec::new(), rows)?
                }
                OperatorKind::Project(assignments) => {
                    let mut with_row = vec![row_key.clone()];
                    with_row.extend(assignments.iter().cloned());
                    let single = ast::Operator {
                        kind: OperatorKind::Project(with_row),
                        offset: operator.offset,
                    };
                    self.operators(df, std::slice::from_ref(&single), scope)?
                }
                OperatorKind::Where(_)
                | OperatorKind::Extend(_)
                | OperatorKind::Sort(_)
                | OperatorKind::Parse(_) => {
                    self.operators(df, std::slice::from_ref(operator), scope)?
                }
                _ => {
                    return Err(KqlError::Unsupported {
                        name: "this operator inside mv-apply".to_owned(),
                        offset: operator.offset,
                    });
                }
            };
        }
        Ok(df)
    }

    /// `parse` / `parse-where`.
    pub(crate) fn parse(
        &self,
        df: DataFrame,
        parse: &Parse,
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let text = self.expr(&parse.expr, &Context::new(df.schema(), scope))?;
        let text = convert(text, KqlType::String, parse.expr.offset)?;
        let pattern = parse_regex(&parse.pattern, parse.regex);
        regex::Regex::new(&pattern)
            .map_err(|e| semantic(offset, format!("parse: the pattern is not valid: {e}")))?;
        let mut df = df;
        if parse.filter {
            df = df
                .filter(regexp_like(text.expr.clone(), lit(pattern.clone()), None))
                .map_err(engine)?;
        }
        let matched = regexp_match(text.expr, lit(pattern), None);
        let columns = parse.pattern.iter().filter_map(|part| match part {
            ParsePart::Column { name, kind } => Some((name, *kind)),
            _ => None,
        });
        for (index, (name, kind)) in columns.enumerate() {
            let position = i64::try_from(index + 1).unwrap_or(i64::MAX);
            let captured = array_element(matched.clone(), lit(position));
            let value = parsed_value(captured, kind, offset)?;
            df = with_column(df, name, value)?;
        }
        Ok(df)
    }
}

/// A captured group as a value of `kind`: text stays text (empty when the pattern missed), numbers,
/// datetimes and booleans are cast, other types go through their conversion function.
fn parsed_value(
    captured: datafusion::logical_expr::Expr,
    kind: KqlType,
    offset: usize,
) -> Result<TypedExpr, KqlError> {
    let expr = match kind {
        KqlType::String | KqlType::Guid => coalesce(vec![captured, lit("")]),
        KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Bool | KqlType::Datetime => {
            try_cast(captured, kind.arrow_type())
        }
        _ => {
            let text = TypedExpr {
                expr: captured,
                kind: KqlType::String,
            };
            return convert(text, kind, offset);
        }
    };
    Ok(TypedExpr { expr, kind })
}

/// The regular expression of a `parse` pattern: literals matched as written (as regexes in
/// `kind=regex`), each column a lazy group, the last column (with nothing after it) taking the
/// rest of the text.
fn parse_regex(pattern: &[ParsePart], regex_kind: bool) -> String {
    let mut text = String::from("(?s)^");
    for (index, part) in pattern.iter().enumerate() {
        let last = index + 1 == pattern.len();
        match part {
            ParsePart::Literal(literal) if regex_kind => text.push_str(literal),
            ParsePart::Literal(literal) => text.push_str(&regex::escape(literal)),
            ParsePart::Wildcard => text.push_str(if last { ".*" } else { ".*?" }),
            ParsePart::Column { kind, .. } => text.push_str(match (last, kind) {
                (true, _) => "(.*)$",
                (false, KqlType::Int | KqlType::Long) => r"(-?\d+)",
                (false, KqlType::Real) => r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)",
                (false, _) => "(.*?)",
            }),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_pattern_becomes_an_anchored_regex() {
        let pattern = vec![
            ParsePart::Wildcard,
            ParsePart::Literal("user=".into()),
            ParsePart::Column {
                name: "User".into(),
                kind: KqlType::String,
            },
            ParsePart::Literal(" (".into()),
            ParsePart::Column {
                name: "Count".into(),
                kind: KqlType::Long,
            },
            ParsePart::Literal(")".into()),
        ];
        assert_eq!(
            parse_regex(&pattern, false),
            r"(?s)^.*?user=(.*?) \((-?\d+)\)"
        );
    }
}
