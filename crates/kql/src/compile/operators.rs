//! The row-wise and ordering operators: `where`, the `project` family, `extend`, `count`,
//! `distinct`, `take`, `top`, `sort`, `as`, `serialize`, `getschema`, `invoke` and `render`; the
//! dispatch of every operator to the module that compiles it.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{SortExpr, lit};
use datafusion::prelude::DataFrame;

use super::expr::{Context, convert};
use super::{Binding, Compiler, Scope, all_columns, engine, select, semantic, typed_column};
use crate::ast::{self, Assignment, Operator, OperatorKind, SortKey};
use crate::error::KqlError;
use crate::functions::TypedExpr;
use crate::types::KqlType;

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    let mut pieces: Vec<&str> = rest.split('*').collect();
    let last = pieces.pop().unwrap_or_default();
    for piece in pieces {
        match remaining.find(piece) {
            Some(at) => remaining = &remaining[at + piece.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// The name KQL gives an unnamed computed column: derived from the expression, else `ColumnN`.
pub(crate) fn output_name(assignment: &Assignment, position: usize) -> String {
    assignment
        .names
        .first()
        .cloned()
        .or_else(|| assignment.expr.derived_name())
        .unwrap_or_else(|| format!("Column{position}"))
}

impl Compiler {
    /// Each operator of a pipeline in turn; `as` extends the scope for the operators after it.
    pub(crate) fn operators(
        &self,
        mut df: DataFrame,
        operators: &[Operator],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let mut scope = scope.clone();
        for operator in operators {
            if let OperatorKind::As(name) = &operator.kind {
                scope = scope.with(name, Binding::Table(df.clone()));
                continue;
            }
            df = self.operator(df, operator, &scope)?;
        }
        Ok(df)
    }

    fn operator(
        &self,
        df: DataFrame,
        operator: &Operator,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let offset = operator.offset;
        match &operator.kind {
            OperatorKind::Where(predicate) => self.filter(df, predicate, scope),
            OperatorKind::Project(assignments) => self.project(df, assignments, scope),
            OperatorKind::ProjectAway(patterns) => keep_columns(df, patterns, false, offset),
            OperatorKind::ProjectKeep(patterns) => keep_columns(df, patterns, true, offset),
            OperatorKind::ProjectRename(renames) => rename(df, renames, offset),
            OperatorKind::ProjectReorder(patterns) => reorder(df, patterns),
            OperatorKind::Extend(assignments) | OperatorKind::Serialize(assignments) => {
                self.extend(df, assignments, scope)
            }
            OperatorKind::Summarize { aggregates, by } => self.summarize(df, aggregates, by, scope),
            OperatorKind::Count => count(df),
            OperatorKind::Distinct(columns) => self.distinct(df, columns, scope),
            OperatorKind::Take(count) | OperatorKind::Sample(count) => {
                let rows = self.row_count(count, scope)?;
                df.limit(0, Some(rows)).map_err(engine)
            }
            OperatorKind::Top { count, by } => {
                let rows = self.row_count(count, scope)?;
                let sorted = self.sort(df, by, scope)?;
                sorted.limit(0, Some(rows)).map_err(engine)
            }
            OperatorKind::Sort(keys) => self.sort(df, keys, scope),
            OperatorKind::Join { kind, right, on } => self.join(df, kind, right, on, offset, scope),
            OperatorKind::Lookup { inner, right, on } => {
                self.lookup(df, *inner, right, on, offset, scope)
            }
            OperatorKind::Union(union) => self.union(Some(df), union, scope),
            OperatorKind::MvExpand(expand) => self.mv_expand(df, expand, scope).map(|(df, _)| df),
            OperatorKind::MvApply { expand, subquery } => {
                self.mv_apply(df, expand, subquery, offset, scope)
            }
            OperatorKind::Parse(parse) => self.parse(df, parse, offset, scope),
            OperatorKind::MakeSeries(series) => self.make_series(df, series, offset, scope),
            OperatorKind::TopNested(levels) => self.top_nested(df, levels, offset, scope),
            OperatorKind::Search(predicate) => self.search(df, predicate, scope),
            OperatorKind::Render | OperatorKind::As(_) => Ok(df),
            OperatorKind::GetSchema => self.get_schema(&df),
            OperatorKind::Invoke { name, args } => self.invoke(df, name, args, offset, scope),
            OperatorKind::Unsupported(name) => Err(KqlError::Unsupported {
                name: name.clone(),
                offset,
            }),
        }
    }

    /// `where predicate`.
    pub(crate) fn filter(
        &self,
        df: DataFrame,
        predicate: &ast::Expr,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let condition = self.expr(predicate, &Context::new(df.schema(), scope))?;
        let condition = convert(condition, KqlType::Bool, predicate.offset)?;
        df.filter(condition.expr).map_err(engine)
    }

    /// `project a, b = expr`.
    fn project(
        &self,
        df: DataFrame,
        assignments: &[Assignment],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let cx = Context::new(df.schema(), scope);
        let mut columns: Vec<(String, TypedExpr)> = Vec::new();
        for (index, assignment) in assignments.iter().enumerate() {
            let name = output_name(assignment, index + 1);
            if columns.iter().any(|(existing, _)| *existing == name) {
                return Err(semantic(
                    assignment.expr.offset,
                    format!("project names the column '{name}' twice"),
                ));
            }
            columns.push((name, self.expr(&assignment.expr, &cx)?));
        }
        select(df, columns)
    }

    /// `extend a = expr, ...`: each assignment sees the ones before it; a new value for an existing
    /// column replaces it in place.
    fn extend(
        &self,
        mut df: DataFrame,
        assignments: &[Assignment],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        for (index, assignment) in assignments.iter().enumerate() {
            let value = self.expr(&assignment.expr, &Context::new(df.schema(), scope))?;
            let name = output_name(assignment, index + 1);
            df = with_column(df, &name, value)?;
        }
        Ok(df)
    }

    /// `distinct a, b` or `distinct *`.
    fn distinct(
        &self,
        df: DataFrame,
        columns: &[ast::Expr],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        if columns.is_empty() {
            return df.distinct().map_err(engine);
        }
        let assignments: Vec<Assignment> = columns
            .iter()
            .map(|expr| Assignment {
                names: Vec::new(),
                expr: expr.clone(),
            })
            .collect();
        let projected = self.project(df, &assignments, scope)?;
        projected.distinct().map_err(engine)
    }

    /// `sort by key [asc|desc] [nulls first|last], ...`.
    pub(crate) fn sort(
        &self,
        df: DataFrame,
        keys: &[SortKey],
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let exprs = self.sort_exprs(&df, keys, scope)?;
        df.sort(exprs).map_err(engine)
    }

    /// Sort keys as DataFusion sort expressions; nulls last when descending, first when
    /// ascending, unless told.
    pub(crate) fn sort_exprs(
        &self,
        df: &DataFrame,
        keys: &[SortKey],
        scope: &Scope,
    ) -> Result<Vec<SortExpr>, KqlError> {
        let cx = Context::new(df.schema(), scope);
        keys.iter()
            .map(|key| {
                let value = self.expr(&key.expr, &cx)?;
                let nulls_first = key.nulls_first.unwrap_or(key.ascending);
                Ok(value.expr.sort(key.ascending, nulls_first))
            })
            .collect()
    }

    /// The row count of `take`/`top`: a constant whole number.
    pub(crate) fn row_count(&self, count: &ast::Expr, scope: &Scope) -> Result<usize, KqlError> {
        let value = self.constant(count, scope)?;
        let rows = match value {
            ScalarValue::Int64(Some(n)) => usize::try_from(n).ok(),
            ScalarValue::Int32(Some(n)) => usize::try_from(n).ok(),
            _ => None,
        };
        rows.ok_or_else(|| {
            semantic(
                count.offset,
                format!("the row count must be a whole number of at least 0, not {value}"),
            )
        })
    }

    /// `getschema`: one row per column.
    fn get_schema(&self, df: &DataFrame) -> Result<DataFrame, KqlError> {
        let rows: Vec<Vec<ScalarValue>> = all_columns(df)
            .into_iter()
            .enumerate()
            .map(|(index, (name, kind))| {
                vec![
                    ScalarValue::Utf8(Some(name)),
                    ScalarValue::Int32(i32::try_from(index).ok()),
                    ScalarValue::Utf8(Some(dotnet_type(kind).to_owned())),
                    ScalarValue::Utf8(Some(kind.name().to_owned())),
                ]
            })
            .collect();
        let columns = [
            ("ColumnName", KqlType::String),
            ("ColumnOrdinal", KqlType::Int),
            ("DataType", KqlType::String),
            ("ColumnType", KqlType::String),
        ]
        .map(|(name, kind)| (name.to_owned(), kind));
        self.memory_table(&columns, rows)
    }

    /// `invoke f(args)`: `f` called with the input as its first, tabular, argument.
    fn invoke(
        &self,
        df: DataFrame,
        name: &str,
        args: &[ast::Expr],
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        let (lambda, defined) = self.function(name, offset, scope)?;
        if !lambda.params.first().is_some_and(|p| p.tabular) {
            return Err(semantic(
                offset,
                format!("'{name}' does not take a table first"),
            ));
        }
        let input_name = "__invoke_input";
        let caller = scope.with(input_name, Binding::Table(df));
        let mut all_args = vec![ast::Expr::new(
            ast::ExprKind::Name(input_name.to_owned()),
            offset,
        )];
        all_args.extend(args.iter().cloned());
        let empty = datafusion::common::DFSchema::empty();
        let body_scope =
            self.bind_arguments(&lambda, &all_args, offset, &caller, &defined, &empty)?;
        self.tabular_expr(&lambda.body, &body_scope)
    }
}

/// `df` with column `name` set to `value`: replaced in place if it exists, else appended.
pub(crate) fn with_column(
    df: DataFrame,
    name: &str,
    value: TypedExpr,
) -> Result<DataFrame, KqlError> {
    let mut columns: Vec<(String, TypedExpr)> = Vec::new();
    let mut replaced = false;
    for (existing, kind) in all_columns(&df) {
        if existing == name {
            columns.push((existing, value.clone()));
            replaced = true;
        } else {
            let reference = typed_column(&existing, kind);
            columns.push((existing, reference));
        }
    }
    if !replaced {
        columns.push((name.to_owned(), value));
    }
    select(df, columns)
}

/// `count`: one row, one column `Count`.
fn count(df: DataFrame) -> Result<DataFrame, KqlError> {
    let counted = datafusion::functions_aggregate::expr_fn::count(lit(1i64));
    let counted = super::typed_alias(
        TypedExpr {
            expr: counted,
            kind: KqlType::Long,
        },
        "Count",
    );
    df.aggregate(vec![], vec![counted]).map_err(engine)
}

/// `project-away` (`keep` false) or `project-keep` (`keep` true).
fn keep_columns(
    df: DataFrame,
    patterns: &[String],
    keep: bool,
    offset: usize,
) -> Result<DataFrame, KqlError> {
    let columns = all_columns(&df);
    for pattern in patterns.iter().filter(|p| !p.contains('*')) {
        if !columns.iter().any(|(name, _)| name == pattern) {
            return Err(semantic(offset, format!("unknown column '{pattern}'")));
        }
    }
    let kept = columns
        .into_iter()
        .filter(|(name, _)| patterns.iter().any(|p| glob_match(p, name)) == keep)
        .map(|(name, kind)| {
            let reference = typed_column(&name, kind);
            (name, reference)
        })
        .collect();
    select(df, kept)
}

/// `project-rename new = old, ...`.
fn rename(
    df: DataFrame,
    renames: &[(String, String)],
    offset: usize,
) -> Result<DataFrame, KqlError> {
    let columns = all_columns(&df);
    for (_, old) in renames {
        if !columns.iter().any(|(name, _)| name == old) {
            return Err(semantic(offset, format!("unknown column '{old}'")));
        }
    }
    let renamed = columns
        .into_iter()
        .map(|(name, kind)| {
            let new = renames
                .iter()
                .find(|(_, old)| *old == name)
                .map_or_else(|| name.clone(), |(new, _)| new.clone());
            (new, typed_column(&name, kind))
        })
        .collect();
    select(df, renamed)
}

/// `project-reorder a, b*`: the named columns first, in the order given, then the rest.
fn reorder(df: DataFrame, patterns: &[String]) -> Result<DataFrame, KqlError> {
    let mut remaining = all_columns(&df);
    let mut ordered = Vec::new();
    for pattern in patterns {
        let (matched, rest): (Vec<_>, Vec<_>) = remaining
            .into_iter()
            .partition(|(name, _)| glob_match(pattern, name));
        ordered.extend(matched);
        remaining = rest;
    }
    ordered.extend(remaining);
    let columns = ordered
        .into_iter()
        .map(|(name, kind)| {
            let reference = typed_column(&name, kind);
            (name, reference)
        })
        .collect();
    select(df, columns)
}

/// The .NET type name `getschema` reports for a KQL type.
fn dotnet_type(kind: KqlType) -> &'static str {
    match kind {
        KqlType::String => "System.String",
        KqlType::Int => "System.Int32",
        KqlType::Long => "System.Int64",
        KqlType::Real => "System.Double",
        KqlType::Bool => "System.SByte",
        KqlType::Datetime => "System.DateTime",
        KqlType::Timespan => "System.TimeSpan",
        KqlType::Guid => "System.Guid",
        KqlType::Dynamic => "System.Object",
    }
}
