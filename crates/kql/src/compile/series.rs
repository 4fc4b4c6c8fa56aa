//! `make-series`: aggregates per group and per time bin, each group's bins then filled (missing
//! bins take the `default=`) into the JSON arrays KQL answers, beside the axis of bin starts.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{JoinType, ScalarValue};
use datafusion::functions_aggregate::expr_fn::{array_agg, max, min};
use datafusion::logical_expr::expr_fn::cast;
use datafusion::logical_expr::{Expr, lit};
use datafusion::prelude::DataFrame;

use super::expr::{Context, nanos};
use super::operators::with_column;
use super::summarize::{aggregate_name, key_name};
use super::udf::{series_axis, series_fill};
use super::{Compiler, Scope, column, engine, select, semantic, typed_alias, typed_column};
use crate::ast::{Assignment, MakeSeries};
use crate::error::KqlError;
use crate::functions::TypedExpr;
use crate::types::KqlType;

const BIN: &str = "__bin";
const FIRST: &str = "__first";
const END: &str = "__end";

/// The Arrow type a series' values travel in: whole numbers as Int64, the rest as Float64.
fn series_type(kind: KqlType) -> DataType {
    match kind {
        KqlType::Int | KqlType::Long => DataType::Int64,
        _ => DataType::Float64,
    }
}

impl Compiler {
    /// `make-series aggregates on axis from a to b step s by keys`.
    pub(crate) fn make_series(
        &self,
        df: DataFrame,
        series: &MakeSeries,
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let on = self.expr(&series.on, &Context::new(df.schema(), scope))?;
        if on.kind != KqlType::Datetime {
            return Err(KqlError::Unsupported {
                name: format!("make-series on a {} axis", on.kind),
                offset: series.on.offset,
            });
        }
        let step = match self.constant(&series.step, scope)? {
            ScalarValue::DurationNanosecond(Some(step)) if step > 0 => step,
            other => {
                return Err(semantic(
                    series.step.offset,
                    format!("make-series: step must be a positive timespan, not {other}"),
                ));
            }
        };
        let from = self.optional_instant(series.from.as_ref(), scope)?;
        let to = self.optional_instant(series.to.as_ref(), scope)?;
        let mut df = df;
        if let Some(from) = from {
            df = df
                .filter(nanos(on.expr.clone()).gt_eq(lit(from)))
                .map_err(engine)?;
        }
        if let Some(to) = to {
            df = df
                .filter(nanos(on.expr.clone()).lt(lit(to)))
                .map_err(engine)?;
        }
        let origin = from.unwrap_or(0);
        let bin = (nanos(on.expr) - lit(origin)) / lit(step) * lit(step) + lit(origin);
        let df = with_column(
            df,
            BIN,
            TypedExpr {
                expr: bin,
                kind: KqlType::Long,
            },
        )?;
        let keys: Vec<Assignment> = series
            .by
            .iter()
            .enumerate()
            .map(|(index, key)| Assignment {
                names: vec![key_name(key, index + 1)],
                expr: key.expr.clone(),
            })
            .collect();
        let aggregates: Vec<Assignment> = series
            .aggregates
            .iter()
            .enumerate()
            .map(|(index, (aggregate, _))| Assignment {
                names: vec![
                    aggregate
                        .names
                        .first()
                        .cloned()
                        .or_else(|| aggregate_name(&aggregate.expr))
                        .unwrap_or_else(|| format!("Column{}", index + 1)),
                ],
                expr: aggregate.expr.clone(),
            })
            .collect();
        let mut binned_keys = keys.clone();
        binned_keys.push(Assignment {
            names: vec![BIN.to_owned()],
            expr: crate::ast::Expr::new(crate::ast::ExprKind::Name(BIN.to_owned()), offset),
        });
        let binned = self.summarize(df, &aggregates, &binned_keys, scope)?;
        let bounded = with_bounds(binned, from, to, step)?;
        let names = |list: &[Assignment]| -> Vec<String> {
            list.iter().flat_map(|a| a.names.clone()).collect()
        };
        let (key_names, aggregate_names) = (names(&keys), names(&aggregates));
        let kinds: Vec<KqlType> = aggregate_names
            .iter()
            .map(|name| kind_of(&bounded, name))
            .collect();
        let mut collected = vec![
            min(column(FIRST)).alias(FIRST),
            max(column(END)).alias(END),
            array_agg(column(BIN)).alias(BIN),
        ];
        for (name, kind) in aggregate_names.iter().zip(&kinds) {
            collected.push(array_agg(cast(column(name), series_type(*kind))).alias(name.clone()));
        }
        let group = key_names
            .iter()
            .map(|name| typed_alias(typed_column(name, kind_of(&bounded, name)), name))
            .collect();
        let key_kinds: Vec<KqlType> = key_names.iter().map(|n| kind_of(&bounded, n)).collect();
        let grouped = bounded.aggregate(group, collected).map_err(engine)?;
        let mut columns: Vec<(String, TypedExpr)> = key_names
            .iter()
            .zip(key_kinds)
            .map(|(name, kind)| (name.clone(), typed_column(name, kind)))
            .collect();
        for ((name, kind), (_, default)) in
            aggregate_names.iter().zip(kinds).zip(&series.aggregates)
        {
            let default = match default {
                Some(default) => self.constant(default, scope)?,
                None => ScalarValue::Int64(Some(0)),
            };
            let default = default.cast_to(&series_type(kind)).map_err(engine)?;
            let filled = series_fill(vec![
                column(BIN),
                column(name),
                column(FIRST),
                column(END),
                lit(step),
                lit(default),
            ]);
            columns.push((name.clone(), dynamic(filled)));
        }
        let axis_name = series
            .on
            .derived_name()
            .unwrap_or_else(|| "TimeGenerated".to_owned());
        let axis = series_axis(column(FIRST), column(END), lit(step));
        columns.push((axis_name, dynamic(axis)));
        select(grouped, columns)
    }

    /// A constant datetime bound as nanoseconds, if written.
    fn optional_instant(
        &self,
        bound: Option<&crate::ast::Expr>,
        scope: &Scope,
    ) -> Result<Option<i64>, KqlError> {
        let Some(bound) = bound else {
            return Ok(None);
        };
        match self.constant(bound, scope)? {
            ScalarValue::TimestampNanosecond(Some(nanos), _) => Ok(Some(nanos)),
            other => Err(semantic(
                bound.offset,
                format!("make-series: the bound must be a datetime, not {other}"),
            )),
        }
    }
}

fn dynamic(expr: Expr) -> TypedExpr {
    TypedExpr {
        expr,
        kind: KqlType::Dynamic,
    }
}

fn kind_of(df: &DataFrame, name: &str) -> KqlType {
    df.schema()
        .fields()
        .iter()
        .find(|f| f.name() == name)
        .map_or(KqlType::Dynamic, |f| KqlType::of_field(f))
}

/// `binned` with the axis' first bin and end as columns: the written bounds, else the bins' own
/// extent over all groups.
fn with_bounds(
    binned: DataFrame,
    from: Option<i64>,
    to: Option<i64>,
    step: i64,
) -> Result<DataFrame, KqlError> {
    let long = |expr: Expr| TypedExpr {
        expr,
        kind: KqlType::Long,
    };
    if let (Some(from), Some(to)) = (from, to) {
        let with_first = with_column(binned, FIRST, long(lit(from)))?;
        return with_column(with_first, END, long(lit(to)));
    }
    let extent = binned
        .clone()
        .aggregate(
            vec![],
            vec![
                min(column(BIN)).alias("__lowest"),
                (max(column(BIN)) + lit(step)).alias("__highest"),
            ],
        )
        .map_err(engine)?;
    let crossed = binned
        .join(extent, JoinType::Inner, &[], &[], None)
        .map_err(engine)?;
    let first = from.map_or_else(|| column("__lowest"), lit);
    let end = to.map_or_else(|| column("__highest"), lit);
    let with_first = with_column(crossed, FIRST, long(first))?;
    let with_end = with_column(with_first, END, long(end))?;
    Ok(with_end)
}
