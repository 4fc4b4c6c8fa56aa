//! Aggregation: `summarize` (group keys, `bin()` keys named after their column, KQL's default
//! column names such as `count_` and `dcount_X`, aggregates nested in expressions, `arg_max` and
//! `arg_min` with `*`), and `top-nested`, built from it.

use std::cell::RefCell;
use std::collections::HashSet;

use datafusion::functions_aggregate::first_last::first_value_udaf;
use datafusion::logical_expr::{ExprFunctionExt, SortExpr};
use datafusion::prelude::DataFrame;

use super::expr::Context;
use super::operators::output_name;
use super::{Compiler, Scope, all_columns, engine, select, semantic, typed_alias, typed_column};
use crate::ast::{self, Assignment, ExprKind, TopNestedLevel};
use crate::error::KqlError;
use crate::functions::TypedExpr;

/// The hidden aggregates of one `summarize` and the columns computed from them.
struct Aggregation {
    /// Hidden aggregate columns, `(name, aggregate)`.
    hidden: RefCell<Vec<(String, TypedExpr)>>,
    /// The output columns after the keys, `(name, value over the hidden columns)`.
    outputs: Vec<(String, TypedExpr)>,
    /// Names taken so far.
    used: HashSet<String>,
}

impl Aggregation {
    /// `name`, or `name1`, `name2`, ... if taken.
    fn unique(&mut self, name: String) -> String {
        let mut candidate = name.clone();
        let mut suffix = 1;
        while self.used.contains(&candidate) {
            candidate = format!("{name}{suffix}");
            suffix += 1;
        }
        self.used.insert(candidate.clone());
        candidate
    }

    /// Adds a hidden aggregate and returns a reference to it.
    fn hide(&self, aggregate: TypedExpr) -> TypedExpr {
        let mut hidden = self.hidden.borrow_mut();
        let name = format!("__aggregate{}", hidden.len());
        let kind = aggregate.kind;
        hidden.push((name.clone(), aggregate));
        typed_column(&name, kind)
    }
}

/// The default name KQL gives an aggregate: `count_`, `dcount_X`, `set_X`, `percentile_X_95`.
pub(crate) fn aggregate_name(expr: &ast::Expr) -> Option<String> {
    let ExprKind::Call { name, args } = &expr.kind else {
        return None;
    };
    let prefix = match name.as_str() {
        "make_set" | "makeset" | "make_set_if" => "set",
        "make_list" | "makelist" | "make_list_if" | "make_list_with_nulls" => "list",
        "make_bag" | "make_bag_if" => "bag",
        "any" | "take_any" => "any",
        other => other,
    };
    let argument = args
        .first()
        .and_then(ast::Expr::derived_name)
        .unwrap_or_default();
    if prefix == "percentile"
        && let Some(ExprKind::Literal(ast::Literal::Long(p))) = args.get(1).map(|a| &a.kind)
    {
        return Some(format!("percentile_{argument}_{p}"));
    }
    Some(format!("{prefix}_{argument}"))
}

/// The name of a group key: `bin(X, 1h)` is named `X`.
pub(crate) fn key_name(assignment: &Assignment, position: usize) -> String {
    if assignment.names.is_empty()
        && let ExprKind::Call { name, args } = &assignment.expr.kind
        && matches!(name.as_str(), "bin" | "bin_at" | "floor")
        && let Some(derived) = args.first().and_then(ast::Expr::derived_name)
    {
        return derived;
    }
    output_name(assignment, position)
}

impl Compiler {
    /// `summarize aggregates by keys`.
    pub(crate) fn summarize(
        &self,
        df: DataFrame,
        aggregates: &[Assignment],
        by: &[Assignment],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let cx = Context::new(df.schema(), scope);
        let mut keys = Vec::with_capacity(by.len());
        let mut aggregation = Aggregation {
            hidden: RefCell::new(Vec::new()),
            outputs: Vec::new(),
            used: HashSet::new(),
        };
        for (index, key) in by.iter().enumerate() {
            let name = aggregation.unique(key_name(key, index + 1));
            keys.push((name, self.expr(&key.expr, &cx)?));
        }
        for (index, assignment) in aggregates.iter().enumerate() {
            self.aggregate_assignment(&df, assignment, index + 1, &keys, &mut aggregation, scope)?;
        }
        let group: Vec<_> = keys
            .iter()
            .map(|(name, value)| typed_alias(value.clone(), name))
            .collect();
        let hidden: Vec<_> = aggregation
            .hidden
            .take()
            .into_iter()
            .map(|(name, aggregate)| typed_alias(aggregate, &name))
            .collect();
        let aggregated = df.aggregate(group, hidden).map_err(engine)?;
        let mut columns: Vec<(String, TypedExpr)> = keys
            .into_iter()
            .map(|(name, value)| {
                let reference = typed_column(&name, value.kind);
                (name, reference)
            })
            .collect();
        columns.extend(aggregation.outputs);
        select(aggregated, columns)
    }

    fn aggregate_assignment(
        &self,
        df: &DataFrame,
        assignment: &Assignment,
        position: usize,
        keys: &[(String, TypedExpr)],
        aggregation: &mut Aggregation,
        scope: &Scope,
    ) -> Result<(), KqlError> {
        if let ExprKind::Call { name, args } = &assignment.expr.kind
            && matches!(name.as_str(), "arg_max" | "arg_min")
        {
            let maximum = name == "arg_max";
            return self.arg_extreme(df, assignment, maximum, args, keys, aggregation, scope);
        }
        let value = {
            let cx = Context {
                schema: df.schema(),
                scope,
                aggregates: Some(&aggregation.hidden),
            };
            self.expr(&assignment.expr, &cx)?
        };
        let name = assignment
            .names
            .first()
            .cloned()
            .or_else(|| aggregate_name(&assignment.expr))
            .unwrap_or_else(|| format!("Column{position}"));
        let name = aggregation.unique(name);
        aggregation.outputs.push((name, value));
        Ok(())
    }

    /// `arg_max(target, *)` / `arg_max(target, a, b)`: the target's extreme, and the named (or
    /// every other) column from a row where the target reaches it. Rows with a null target are
    /// left out.
    #[allow(clippy::too_many_arguments)]
    fn arg_extreme(
        &self,
        df: &DataFrame,
        assignment: &Assignment,
        maximum: bool,
        args: &[ast::Expr],
        keys: &[(String, TypedExpr)],
        aggregation: &mut Aggregation,
        scope: &Scope,
    ) -> Result<(), KqlError> {
        let offset = assignment.expr.offset;
        let Some((target_arg, returned)) = args.split_first() else {
            return Err(semantic(
                offset,
                "arg_max/arg_min take an expression to rank by",
            ));
        };
        let cx = Context::new(df.schema(), scope);
        let target = self.expr(target_arg, &cx)?;
        let order = target.expr.clone().sort(!maximum, false);
        let present = target.expr.clone().is_not_null();
        let prefix = if maximum { "max_" } else { "min_" };
        let target_name = target_arg
            .derived_name()
            .unwrap_or_else(|| prefix.to_owned());
        let mut values = vec![(target_name.clone(), target)];
        for arg in returned {
            if let ExprKind::Star = arg.kind {
                for (name, kind) in all_columns(df) {
                    let taken = name == target_name || keys.iter().any(|(key, _)| *key == name);
                    if !taken && !values.iter().any(|(existing, _)| *existing == name) {
                        let reference = typed_column(&name, kind);
                        values.push((name, reference));
                    }
                }
            } else {
                let name = arg
                    .derived_name()
                    .unwrap_or_else(|| format!("{prefix}{}", values.len()));
                values.push((name, self.expr(arg, &cx)?));
            }
        }
        for (index, (default_name, value)) in values.into_iter().enumerate() {
            let aggregate = first_row_value(value, order.clone(), present.clone())?;
            let hidden = aggregation.hide(aggregate);
            let name = assignment.names.get(index).cloned().unwrap_or(default_name);
            let name = aggregation.unique(name);
            aggregation.outputs.push((name, hidden));
        }
        Ok(())
    }

    /// `top-nested n of key by aggregate, ...`: each level's top values within the level above.
    pub(crate) fn top_nested(
        &self,
        df: DataFrame,
        levels: &[TopNestedLevel],
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let mut keys: Vec<Assignment> = Vec::new();
        let mut result: Option<DataFrame> = None;
        let mut order: Vec<String> = Vec::new();
        for (index, level) in levels.iter().enumerate() {
            let key_name = output_name(&level.of, index + 1);
            let aggregate_name = level
                .by
                .names
                .first()
                .cloned()
                .unwrap_or_else(|| format!("aggregated_{key_name}"));
            let outer: Vec<String> = keys.iter().flat_map(|k| k.names.clone()).collect();
            keys.push(Assignment {
                names: vec![key_name.clone()],
                expr: level.of.expr.clone(),
            });
            let by = Assignment {
                names: vec![aggregate_name.clone()],
                expr: level.by.expr.clone(),
            };
            let mut grouped = self.summarize(df.clone(), &[by], &keys, scope)?;
            if let Some(count) = &level.count {
                let rows = self.row_count(count, scope)?;
                let partition = outer.iter().map(|k| super::column(k)).collect();
                let rank: SortExpr = super::column(&aggregate_name).sort(level.ascending, false);
                grouped = super::join::rank_within(grouped, partition, vec![rank], rows)?;
            }
            order.push(key_name);
            order.push(aggregate_name);
            result = Some(match result {
                None => grouped,
                Some(above) => {
                    let pairs: Vec<(String, String)> =
                        outer.iter().map(|k| (k.clone(), k.clone())).collect();
                    super::join::inner_join_on_names(above, grouped, &pairs, offset)?
                }
            });
        }
        let result = result.ok_or_else(|| semantic(offset, "top-nested needs a level"))?;
        let columns = all_columns(&result);
        let ordered = order
            .into_iter()
            .filter_map(|name| {
                let kind = columns.iter().find(|(n, _)| *n == name)?.1;
                Some((name.clone(), typed_column(&name, kind)))
            })
            .collect();
        select(result, ordered)
    }
}

/// `first_value(value ORDER BY order) FILTER (WHERE present)`.
fn first_row_value(
    value: TypedExpr,
    order: SortExpr,
    present: datafusion::logical_expr::Expr,
) -> Result<TypedExpr, KqlError> {
    let expr = first_value_udaf()
        .call(vec![value.expr])
        .order_by(vec![order])
        .filter(present)
        .build()
        .map_err(engine)?;
    Ok(TypedExpr {
        expr,
        kind: value.kind,
    })
}
