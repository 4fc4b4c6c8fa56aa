//! Sources that are not tables (`datatable`, `range`, `print`, `search` over several tables) and
//! the `search` operator; constant folding for the values operators need at compile time (row
//! counts, bounds, steps).

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::prelude::DataFrame;

use super::expr::{Context, convert};
use super::join::union_legs;
use super::operators::glob_match;
use super::{Compiler, Scope, all_columns, engine, select, semantic, typed_column};
use crate::ast::{self, Assignment, BinaryOp, ExprKind, Literal, Search};
use crate::error::KqlError;
use crate::functions::{self, TypedExpr};
use crate::types::KqlType;

/// The most rows `range` may generate.
pub const MAX_RANGE_ROWS: usize = 1_000_000;

impl Compiler {
    /// The value of an expression that must be constant (a row count, a bound, a step).
    pub(crate) fn constant(&self, e: &ast::Expr, scope: &Scope) -> Result<ScalarValue, KqlError> {
        let empty = DFSchema::empty();
        let value = self.expr(e, &Context::new(&empty, scope))?;
        let simplifier = ExprSimplifier::new(SimplifyContext::default());
        match simplifier.simplify(value.expr).map_err(engine)? {
            datafusion::logical_expr::Expr::Literal(value, _) => Ok(value),
            _ => Err(semantic(e.offset, "expected a constant value")),
        }
    }

    /// A table held in memory, `columns` typed, `rows` already of those types.
    pub(crate) fn memory_table(
        &self,
        columns: &[(String, KqlType)],
        rows: Vec<Vec<ScalarValue>>,
    ) -> Result<DataFrame, KqlError> {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, kind)| kind.field(name))
                .collect::<Vec<_>>(),
        ));
        let mut arrays = Vec::with_capacity(columns.len());
        for (index, (_, kind)) in columns.iter().enumerate() {
            let values = rows.iter().map(|row| row[index].clone());
            let array = if rows.is_empty() {
                datafusion::arrow::array::new_empty_array(&kind.arrow_type())
            } else {
                ScalarValue::iter_to_array(values).map_err(engine)?
            };
            arrays.push(array);
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| engine(e.into()))?;
        let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(engine)?;
        let plan = LogicalPlanBuilder::scan("datatable", provider_as_source(Arc::new(table)), None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(engine)?;
        Ok(DataFrame::new(self.state.clone(), plan))
    }

    /// `datatable (a: type, ...) [values]`.
    pub(crate) fn datatable(
        &self,
        columns: &[(String, KqlType)],
        values: &[ast::Expr],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        if columns.is_empty() || !values.len().is_multiple_of(columns.len()) {
            let offset = values.first().map_or(0, |v| v.offset);
            return Err(semantic(
                offset,
                format!(
                    "datatable: {} values do not fill rows of {} columns",
                    values.len(),
                    columns.len()
                ),
            ));
        }
        let mut rows = Vec::with_capacity(values.len() / columns.len());
        for chunk in values.chunks(columns.len()) {
            let mut row = Vec::with_capacity(columns.len());
            for (value, (_, kind)) in chunk.iter().zip(columns) {
                let constant = self.constant(value, scope)?;
                let typed = if constant.is_null() {
                    ScalarValue::try_from(&kind.arrow_type()).map_err(engine)?
                } else {
                    constant.cast_to(&kind.arrow_type()).map_err(|_| {
                        semantic(value.offset, format!("datatable: not a {kind} value"))
                    })?
                };
                row.push(typed);
            }
            rows.push(row);
        }
        self.memory_table(columns, rows)
    }

    /// `range x from a to b step s`: numbers, datetimes or timespans, both ends included.
    pub(crate) fn range(
        &self,
        name: &str,
        from: &ast::Expr,
        to: &ast::Expr,
        step: &ast::Expr,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let bounds = (
            self.constant(from, scope)?,
            self.constant(to, scope)?,
            self.constant(step, scope)?,
        );
        let (kind, first, last, increment) = match bounds {
            (
                ScalarValue::Int64(Some(a)),
                ScalarValue::Int64(Some(b)),
                ScalarValue::Int64(Some(s)),
            ) => (KqlType::Long, a, b, s),
            (
                ScalarValue::TimestampNanosecond(Some(a), _),
                ScalarValue::TimestampNanosecond(Some(b), _),
                ScalarValue::DurationNanosecond(Some(s)),
            ) => (KqlType::Datetime, a, b, s),
            (
                ScalarValue::DurationNanosecond(Some(a)),
                ScalarValue::DurationNanosecond(Some(b)),
                ScalarValue::DurationNanosecond(Some(s)),
            ) => (KqlType::Timespan, a, b, s),
            _ => {
                return Err(semantic(
                    from.offset,
                    "range takes whole numbers, or datetimes or timespans with a timespan step",
                ));
            }
        };
        if increment == 0 {
            return Err(semantic(step.offset, "range: the step must not be 0"));
        }
        let count = (i128::from(last) - i128::from(first)) / i128::from(increment) + 1;
        let count = usize::try_from(count.max(0)).unwrap_or(usize::MAX);
        if count > MAX_RANGE_ROWS {
            return Err(KqlError::Limit(format!(
                "range: {count} rows exceed the limit of {MAX_RANGE_ROWS}"
            )));
        }
        let rows = (0..count)
            .map(|k| {
                let value = first + increment * i64::try_from(k).unwrap_or(i64::MAX);
                vec![match kind {
                    KqlType::Datetime => super::expr::datetime_value(value),
                    KqlType::Timespan => ScalarValue::DurationNanosecond(Some(value)),
                    _ => ScalarValue::Int64(Some(value)),
                }]
            })
            .collect();
        self.memory_table(&[(name.to_owned(), kind)], rows)
    }

    /// `print a = 1, ...`: one row.
    pub(crate) fn print(
        &self,
        assignments: &[Assignment],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let plan = LogicalPlanBuilder::empty(true).build().map_err(engine)?;
        let one_row = DataFrame::new(self.state.clone(), plan);
        let cx_schema = one_row.schema().clone();
        let cx = Context::new(&cx_schema, scope);
        let mut columns = Vec::with_capacity(assignments.len());
        for (index, assignment) in assignments.iter().enumerate() {
            let name = assignment
                .names
                .first()
                .cloned()
                .or_else(|| assignment.expr.derived_name())
                .unwrap_or_else(|| format!("print_{index}"));
            columns.push((name, self.expr(&assignment.expr, &cx)?));
        }
        select(one_row, columns)
    }

    /// `search [in (T1, T2)] predicate` as a source: every table named (all when none), stacked
    /// with a `$table` column, then searched.
    pub(crate) fn search_source(
        &self,
        search: &Search,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let mut legs = Vec::new();
        let patterns: Vec<String> = if search.tables.is_empty() {
            vec!["*".to_owned()]
        } else {
            search.tables.clone()
        };
        for pattern in &patterns {
            if pattern.contains('*') {
                for name in self.tables.keys().filter(|name| glob_match(pattern, name)) {
                    legs.push((name.clone(), self.named_table(name, search.offset, scope)?));
                }
            } else {
                legs.push((
                    pattern.clone(),
                    self.named_table(pattern, search.offset, scope)?,
                ));
            }
        }
        let stacked = union_legs(legs, true, Some("$table"), search.offset)?;
        self.search(stacked, &search.predicate, scope)
    }

    /// The `search` operator: a bare string means "some text column has this term" (`*` in it
    /// for a substring); the rest of the predicate is an ordinary one.
    pub(crate) fn search(
        &self,
        df: DataFrame,
        predicate: &ast::Expr,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let condition = self.search_condition(&df, predicate, scope)?;
        let condition = convert(condition, KqlType::Bool, predicate.offset)?;
        df.filter(condition.expr).map_err(engine)
    }

    fn search_condition(
        &self,
        df: &DataFrame,
        predicate: &ast::Expr,
        scope: &Scope,
    ) -> Result<TypedExpr, KqlError> {
        match &predicate.kind {
            ExprKind::Literal(Literal::String(term)) => any_column_has(df, term, predicate.offset),
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                left,
                right,
            } => {
                let left = self.search_condition(df, left, scope)?;
                let right = self.search_condition(df, right, scope)?;
                super::expr::binary(*op, left, right, predicate.offset)
            }
            _ => self.expr(predicate, &Context::new(df.schema(), scope)),
        }
    }
}

/// Whether any text column of `df` has `term` (contains it, where the term has `*` wildcards).
fn any_column_has(df: &DataFrame, term: &str, offset: usize) -> Result<TypedExpr, KqlError> {
    let (function, needle) = if term.contains('*') {
        ("contains", term.replace('*', ""))
    } else {
        ("has", term.to_owned())
    };
    let mut condition: Option<datafusion::logical_expr::Expr> = None;
    for (name, kind) in all_columns(df) {
        if !matches!(kind, KqlType::String | KqlType::Dynamic | KqlType::Guid) {
            continue;
        }
        let needle = TypedExpr {
            expr: datafusion::logical_expr::lit(needle.clone()),
            kind: KqlType::String,
        };
        let found = functions::scalar_call(function, vec![typed_column(&name, kind), needle])
            .map_err(|e| super::expr::function_error(e, offset))?;
        condition = Some(match condition {
            None => found.expr,
            Some(before) => before.or(found.expr),
        });
    }
    Ok(TypedExpr {
        expr: condition.unwrap_or_else(|| datafusion::logical_expr::lit(false)),
        kind: KqlType::Bool,
    })
}
