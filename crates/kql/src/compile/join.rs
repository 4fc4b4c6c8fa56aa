//! Operators that combine tables: `join` (every KQL kind, `innerunique` keeping one left row per
//! key first), `lookup`, and `union` (by column name, `kind=outer` filling missing columns with
//! nulls, `withsource=` naming each row's table).

use datafusion::common::{Column, JoinType, ScalarValue};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, SortExpr, lit};
use datafusion::prelude::DataFrame;

use super::operators::glob_match;
use super::{Compiler, Scope, all_columns, column, engine, select, semantic, typed_column};
use crate::ast::{JoinKey, Pipeline, Union, UnionTable};
use crate::error::KqlError;
use crate::functions::TypedExpr;
use crate::types::KqlType;

const LEFT: &str = "__left";
const RIGHT: &str = "__right";
const RANK: &str = "__rank";

/// Which sides' columns a join keeps.
#[derive(Clone, Copy, PartialEq)]
enum Kept {
    Both,
    Left,
    Right,
}

/// A KQL join kind as DataFusion's, whether the left side is first deduplicated on its keys,
/// and which columns the result has.
fn join_kind(kind: &str, offset: usize) -> Result<(JoinType, bool, Kept), KqlError> {
    Ok(match kind {
        "innerunique" => (JoinType::Inner, true, Kept::Both),
        "inner" => (JoinType::Inner, false, Kept::Both),
        "leftouter" => (JoinType::Left, false, Kept::Both),
        "rightouter" => (JoinType::Right, false, Kept::Both),
        "fullouter" | "outer" => (JoinType::Full, false, Kept::Both),
        "leftsemi" => (JoinType::LeftSemi, false, Kept::Left),
        "leftanti" | "anti" | "leftantisemi" => (JoinType::LeftAnti, false, Kept::Left),
        "rightsemi" => (JoinType::RightSemi, false, Kept::Right),
        "rightanti" | "rightantisemi" => (JoinType::RightAnti, false, Kept::Right),
        other => {
            return Err(semantic(offset, format!("unknown join kind '{other}'")));
        }
    })
}

/// A column of one side of a join, by its side's alias.
fn side_column(side: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(side), name))
}

/// `df` keeping, within each `partition`, the first `keep` rows in `order`.
pub(crate) fn rank_within(
    df: DataFrame,
    partition: Vec<Expr>,
    order: Vec<SortExpr>,
    keep: usize,
) -> Result<DataFrame, KqlError> {
    let columns = all_columns(&df);
    let order = if order.is_empty() {
        partition
            .iter()
            .map(|key| key.clone().sort(true, true))
            .collect()
    } else {
        order
    };
    let rank = row_number()
        .partition_by(partition)
        .order_by(order)
        .build()
        .map_err(engine)?
        .alias(RANK);
    let ranked = df.window(vec![rank]).map_err(engine)?;
    let limit = u64::try_from(keep).unwrap_or(u64::MAX);
    let kept = ranked
        .filter(column(RANK).lt_eq(lit(ScalarValue::UInt64(Some(limit)))))
        .map_err(engine)?;
    let columns = columns
        .into_iter()
        .map(|(name, kind)| {
            let reference = typed_column(&name, kind);
            (name, reference)
        })
        .collect();
    select(kept, columns)
}

/// An equi-join of `left` and `right` on `(left column, right column)` pairs, each side
/// qualified by its alias.
fn equi_join(
    left: DataFrame,
    right: DataFrame,
    join_type: JoinType,
    keys: &[(String, String)],
    offset: usize,
) -> Result<DataFrame, KqlError> {
    for (l, r) in keys {
        let missing = if !has_column(&left, l) {
            Some(("left", l))
        } else if !has_column(&right, r) {
            Some(("right", r))
        } else {
            None
        };
        if let Some((side, name)) = missing {
            return Err(semantic(
                offset,
                format!("the join key '{name}' is not a column of the {side} side"),
            ));
        }
    }
    let on: Vec<Expr> = keys
        .iter()
        .map(|(l, r)| side_column(LEFT, l).eq(side_column(RIGHT, r)))
        .collect();
    let left = left.alias(LEFT).map_err(engine)?;
    let right = right.alias(RIGHT).map_err(engine)?;
    left.join_on(right, join_type, on).map_err(engine)
}

fn has_column(df: &DataFrame, name: &str) -> bool {
    df.schema().fields().iter().any(|f| f.name() == name)
}

/// An inner join on same-named columns, keeping the left's columns and the right's others.
pub(crate) fn inner_join_on_names(
    left: DataFrame,
    right: DataFrame,
    keys: &[(String, String)],
    offset: usize,
) -> Result<DataFrame, KqlError> {
    let left_columns = all_columns(&left);
    let right_columns: Vec<_> = all_columns(&right)
        .into_iter()
        .filter(|(name, _)| !keys.iter().any(|(_, r)| r == name))
        .collect();
    let joined = equi_join(left, right, JoinType::Inner, keys, offset)?;
    project_sides(joined, &left_columns, &right_columns)
}

/// The joined columns, unqualified: the left's as they are, the right's renamed `X1`, `X2`, ...
/// where a name is taken.
fn project_sides(
    joined: DataFrame,
    left: &[(String, KqlType)],
    right: &[(String, KqlType)],
) -> Result<DataFrame, KqlError> {
    let mut taken: Vec<String> = Vec::new();
    let mut columns = Vec::new();
    for (side, list) in [(LEFT, left), (RIGHT, right)] {
        for (name, kind) in list {
            let mut output = name.clone();
            let mut suffix = 1;
            while taken.contains(&output) {
                output = format!("{name}{suffix}");
                suffix += 1;
            }
            taken.push(output.clone());
            let value = TypedExpr {
                expr: side_column(side, name),
                kind: *kind,
            };
            columns.push((output, value));
        }
    }
    select(joined, columns)
}

impl Compiler {
    /// `join kind=... (right) on keys`.
    pub(crate) fn join(
        &self,
        left: DataFrame,
        kind: &str,
        right: &Pipeline,
        on: &[JoinKey],
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let (join_type, unique, kept) = join_kind(kind, offset)?;
        let right = self.pipeline(right, scope)?;
        let keys: Vec<(String, String)> = on
            .iter()
            .map(|key| (key.left.clone(), key.right.clone()))
            .collect();
        let left = if unique {
            let partition = keys.iter().map(|(l, _)| column(l)).collect();
            rank_within(left, partition, Vec::new(), 1)?
        } else {
            left
        };
        let left_columns = all_columns(&left);
        let right_columns = all_columns(&right);
        let joined = equi_join(left, right, join_type, &keys, offset)?;
        match kept {
            Kept::Both => project_sides(joined, &left_columns, &right_columns),
            Kept::Left => project_sides(joined, &left_columns, &[]),
            Kept::Right => project_sides(joined, &[], &right_columns),
        }
    }

    /// `lookup kind=leftouter|inner (right) on keys`: the right's key columns are not repeated.
    pub(crate) fn lookup(
        &self,
        left: DataFrame,
        inner: bool,
        right: &Pipeline,
        on: &[JoinKey],
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let right = self.pipeline(right, scope)?;
        let keys: Vec<(String, String)> = on
            .iter()
            .map(|key| (key.left.clone(), key.right.clone()))
            .collect();
        let left_columns = all_columns(&left);
        let right_columns: Vec<_> = all_columns(&right)
            .into_iter()
            .filter(|(name, _)| !keys.iter().any(|(_, r)| r == name))
            .collect();
        let join_type = if inner {
            JoinType::Inner
        } else {
            JoinType::Left
        };
        let joined = equi_join(left, right, join_type, &keys, offset)?;
        project_sides(joined, &left_columns, &right_columns)
    }

    /// `union` of `input` (when an operator) and the union's tables.
    pub(crate) fn union(
        &self,
        input: Option<DataFrame>,
        union: &Union,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let mut legs: Vec<(String, DataFrame)> = Vec::new();
        if let Some(df) = input {
            legs.push(("union_arg0".to_owned(), df));
        }
        for table in &union.tables {
            match table {
                UnionTable::Pipeline(pipeline) => {
                    let name = format!("union_arg{}", legs.len());
                    legs.push((name, self.pipeline(pipeline, scope)?));
                }
                UnionTable::Pattern(pattern) if pattern.contains('*') => {
                    for name in self.tables.keys().filter(|name| glob_match(pattern, name)) {
                        legs.push((name.clone(), self.named_table(name, union.offset, scope)?));
                    }
                }
                UnionTable::Pattern(name) => {
                    legs.push((name.clone(), self.named_table(name, union.offset, scope)?));
                }
            }
        }
        union_legs(
            legs,
            union.outer,
            union.with_source.as_deref(),
            union.offset,
        )
    }
}

/// Stacks `legs` by column name: every column of any leg (`outer`) or those of all legs, a leg
/// lacking one filling it with nulls; `with_source` names a first column holding each leg's name.
pub(crate) fn union_legs(
    legs: Vec<(String, DataFrame)>,
    outer: bool,
    with_source: Option<&str>,
    offset: usize,
) -> Result<DataFrame, KqlError> {
    let mut columns: Vec<(String, KqlType)> = Vec::new();
    for (_, df) in &legs {
        for (name, kind) in all_columns(df) {
            if !columns.iter().any(|(existing, _)| *existing == name) {
                columns.push((name, kind));
            }
        }
    }
    if !outer {
        columns.retain(|(name, _)| legs.iter().all(|(_, df)| has_column(df, name)));
    }
    let mut stacked: Option<DataFrame> = None;
    for (leg_name, df) in legs {
        let mut selected = Vec::new();
        if let Some(source) = with_source {
            let name = TypedExpr {
                expr: lit(leg_name.clone()),
                kind: KqlType::String,
            };
            selected.push((source.to_owned(), name));
        }
        for (name, kind) in &columns {
            let value = match all_columns(&df).into_iter().find(|(n, _)| n == name) {
                Some((_, own)) => super::expr::convert(typed_column(name, own), *kind, offset)?,
                None => TypedExpr {
                    expr: lit(ScalarValue::try_from(&kind.arrow_type()).map_err(engine)?),
                    kind: *kind,
                },
            };
            selected.push((name.clone(), value));
        }
        let leg = select(df, selected)?;
        stacked = Some(match stacked {
            None => leg,
            Some(above) => above.union(leg).map_err(engine)?,
        });
    }
    stacked.ok_or_else(|| semantic(offset, "union matched no table"))
}
