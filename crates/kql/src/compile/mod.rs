//! Compiles a parsed KQL query into a DataFusion [`DataFrame`]: sources become table scans (with
//! the query API's time window applied right above each scan, where the table provider can prune
//! partitions by it), operators become logical plan nodes, and scalar expressions become typed
//! DataFusion expressions through the functions module.
//!
//! Every column the compiler outputs carries its KQL type in its field metadata, so a later
//! operator (and the answer's `columns[].type`) knows a `dynamic` column from a `string` one.

mod expand;
mod expr;
mod join;
mod operators;
mod series;
mod sources;
mod summarize;
mod udf;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::catalog::TableProvider;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::datasource::provider_as_source;
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, lit};
use datafusion::prelude::{DataFrame, SessionContext};

use crate::ast::{self, ExprKind, LetValue, Pipeline, Source};
use crate::error::KqlError;
use crate::functions::TypedExpr;
use crate::types::{KQL_TYPE_KEY, KqlType};

/// What a query runs against besides its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOptions {
    /// The instant `now()` and `ago()` are measured from.
    pub now: DateTime<Utc>,
    /// The query API's `timespan`: only rows whose `TimeGenerated` (else `Timestamp`) falls in it
    /// (both ends included) are read.
    pub time_window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Compiles `text` into a DataFrame over the tables registered in `ctx`.
pub async fn compile(
    text: &str,
    ctx: &SessionContext,
    options: &QueryOptions,
) -> Result<DataFrame, KqlError> {
    let query = crate::parser::parse(text)?;
    let compiler = Compiler::new(ctx, options).await?;
    compiler.query(&query)
}

/// Compiles parsed queries against one session's tables.
pub(crate) struct Compiler {
    state: SessionState,
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
    now: i64,
    window: Option<(i64, i64)>,
}

/// What a name is bound to.
#[derive(Clone)]
enum Binding {
    /// A `let`, compiled where it is used, in the scope it was defined in.
    Let { value: LetValue, scope: Scope },
    /// A function's scalar parameter, already compiled.
    Scalar(TypedExpr),
    /// A function's tabular parameter, or a name given by `as`.
    Table(DataFrame),
}

/// The names in scope: a persistent list, innermost first.
#[derive(Clone, Default)]
pub(crate) struct Scope(Option<Arc<ScopeEntry>>);

struct ScopeEntry {
    name: String,
    binding: Binding,
    parent: Scope,
}

impl Scope {
    fn with(&self, name: &str, binding: Binding) -> Scope {
        Scope(Some(Arc::new(ScopeEntry {
            name: name.to_owned(),
            binding,
            parent: self.clone(),
        })))
    }

    fn with_lets(&self, lets: &[ast::Let]) -> Scope {
        lets.iter().fold(self.clone(), |scope, binding| {
            let value = Binding::Let {
                value: binding.value.clone(),
                scope: scope.clone(),
            };
            scope.with(&binding.name, value)
        })
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        let mut entry = self.0.as_deref();
        while let Some(current) = entry {
            if current.name == name {
                return Some(&current.binding);
            }
            entry = current.parent.0.as_deref();
        }
        None
    }
}

/// A semantic error at `offset`.
pub(crate) fn semantic(offset: usize, message: impl Into<String>) -> KqlError {
    KqlError::Semantic {
        offset,
        message: message.into(),
    }
}

/// A DataFusion error while building the plan.
pub(crate) fn engine(error: datafusion::error::DataFusionError) -> KqlError {
    KqlError::Engine(error.to_string())
}

/// An unqualified reference to the column `name`.
pub(crate) fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// `expr AS name`, the KQL type recorded in the field metadata.
pub(crate) fn typed_alias(typed: TypedExpr, name: &str) -> Expr {
    let metadata = BTreeMap::from([(KQL_TYPE_KEY.to_owned(), typed.kind.name().to_owned())]);
    typed.expr.alias_with_metadata(name, Some(metadata.into()))
}

/// The columns of `df`, each with its KQL type.
pub(crate) fn columns_of(schema: &DFSchema) -> Vec<(String, KqlType)> {
    schema
        .fields()
        .iter()
        .map(|field| (field.name().clone(), KqlType::of_field(field)))
        .collect()
}

/// A reference to an existing column, typed.
pub(crate) fn typed_column(name: &str, kind: KqlType) -> TypedExpr {
    TypedExpr {
        expr: column(name),
        kind,
    }
}

/// Every column of `df`, as select expressions that keep their names and types.
pub(crate) fn all_columns(df: &DataFrame) -> Vec<(String, KqlType)> {
    columns_of(df.schema())
}

/// `df` with its columns selected as `(name, expr)` pairs, each typed.
pub(crate) fn select(
    df: DataFrame,
    columns: Vec<(String, TypedExpr)>,
) -> Result<DataFrame, KqlError> {
    let exprs: Vec<Expr> = columns
        .into_iter()
        .map(|(name, typed)| typed_alias(typed, &name))
        .collect();
    df.select(exprs).map_err(engine)
}

impl Compiler {
    async fn new(ctx: &SessionContext, options: &QueryOptions) -> Result<Compiler, KqlError> {
        let state = ctx.state();
        let catalog_options = &state.config_options().catalog;
        let schema = ctx
            .catalog(&catalog_options.default_catalog)
            .and_then(|catalog| catalog.schema(&catalog_options.default_schema));
        let mut tables = BTreeMap::new();
        if let Some(schema) = schema {
            for name in schema.table_names() {
                if let Some(provider) = schema.table(&name).await.map_err(engine)? {
                    tables.insert(name, provider);
                }
            }
        }
        let nanos = |instant: DateTime<Utc>| instant.timestamp_nanos_opt().unwrap_or(i64::MAX);
        Ok(Compiler {
            state,
            tables,
            now: nanos(options.now),
            window: options
                .time_window
                .map(|(start, end)| (nanos(start), nanos(end))),
        })
    }

    fn query(&self, query: &ast::Query) -> Result<DataFrame, KqlError> {
        let scope = Scope::default().with_lets(&query.lets);
        self.pipeline(&query.body, &scope)
    }

    /// A pipeline: its source, then each operator in turn.
    fn pipeline(&self, pipeline: &Pipeline, scope: &Scope) -> Result<DataFrame, KqlError> {
        let df = self.source(&pipeline.source, scope)?;
        self.operators(df, &pipeline.operators, scope)
    }

    fn source(&self, source: &Source, scope: &Scope) -> Result<DataFrame, KqlError> {
        match source {
            Source::Name { name, offset } => self.named_table(name, *offset, scope),
            Source::Call { name, args, offset } => self.tabular_call(name, args, *offset, scope),
            Source::Nested(pipeline) => self.pipeline(pipeline, scope),
            Source::Union(union) => self.union(None, union, scope),
            Source::Datatable { columns, values } => self.datatable(columns, values, scope),
            Source::Range {
                name,
                from,
                to,
                step,
            } => self.range(name, from, to, step, scope),
            Source::Print(assignments) => self.print(assignments, scope),
            Source::Search(search) => self.search_source(search, scope),
            Source::Input => Err(semantic(0, "a subquery without input stands alone")),
            Source::Unsupported { name, offset } => Err(KqlError::Unsupported {
                name: name.clone(),
                offset: *offset,
            }),
        }
    }

    /// A table, tabular `let` or tabular parameter, by name.
    fn named_table(&self, name: &str, offset: usize, scope: &Scope) -> Result<DataFrame, KqlError> {
        match scope.lookup(name) {
            Some(Binding::Table(df)) => Ok(df.clone()),
            Some(Binding::Let {
                value: LetValue::Expr(expr),
                scope: defined,
            }) => self.tabular_expr(expr, defined),
            Some(Binding::Let {
                value: LetValue::Function(lambda),
                scope: defined,
            }) if lambda.params.is_empty() => {
                self.tabular_expr(&lambda.body, &defined.with_lets(&lambda.lets))
            }
            Some(_) => Err(semantic(offset, format!("'{name}' is not a table"))),
            None => self.scan(name, offset),
        }
    }

    /// A table of the session, with the time window applied above the scan.
    fn scan(&self, name: &str, offset: usize) -> Result<DataFrame, KqlError> {
        let provider = self
            .tables
            .get(name)
            .ok_or_else(|| semantic(offset, format!("unknown table or tabular let '{name}'")))?;
        let plan = LogicalPlanBuilder::scan(name, provider_as_source(provider.clone()), None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(engine)?;
        let df = DataFrame::new(self.state.clone(), plan);
        let Some((start, end)) = self.window else {
            return Ok(df);
        };
        let time_column = ["TimeGenerated", "Timestamp"]
            .into_iter()
            .find(|candidate| {
                df.schema()
                    .fields()
                    .iter()
                    .any(|f| f.name() == candidate && KqlType::of_field(f) == KqlType::Datetime)
            });
        let Some(time_column) = time_column else {
            return Ok(df);
        };
        let instant = |nanos| {
            lit(ScalarValue::TimestampNanosecond(
                Some(nanos),
                Some("UTC".into()),
            ))
        };
        df.filter(
            column(time_column)
                .gt_eq(instant(start))
                .and(column(time_column).lt_eq(instant(end))),
        )
        .map_err(engine)
    }

    /// An expression where a table is expected: a pipeline, a name or a call.
    fn tabular_expr(&self, expr: &ast::Expr, scope: &Scope) -> Result<DataFrame, KqlError> {
        match &expr.kind {
            ExprKind::Pipeline(pipeline) => self.pipeline(pipeline, scope),
            ExprKind::Name(name) => self.named_table(name, expr.offset, scope),
            ExprKind::Call { name, args } => self.tabular_call(name, args, expr.offset, scope),
            _ => Err(semantic(expr.offset, "expected a tabular expression")),
        }
    }

    /// `materialize(T)`, `view`-style wrappers and calls of tabular `let` functions.
    fn tabular_call(
        &self,
        name: &str,
        args: &[ast::Expr],
        offset: usize,
        scope: &Scope,
    ) -> Result<DataFrame, KqlError> {
        if matches!(name, "materialize" | "table") && args.len() == 1 {
            return match &args[0].kind {
                ExprKind::Literal(ast::Literal::String(table)) => {
                    self.named_table(table, args[0].offset, scope)
                }
                _ => self.tabular_expr(&args[0], scope),
            };
        }
        let (lambda, defined) = self.function(name, offset, scope)?;
        let empty = DFSchema::empty();
        let body_scope = self.bind_arguments(&lambda, args, offset, scope, &defined, &empty)?;
        self.tabular_expr(&lambda.body, &body_scope)
    }

    /// The `let` function `name`.
    fn function(
        &self,
        name: &str,
        offset: usize,
        scope: &Scope,
    ) -> Result<(ast::Lambda, Scope), KqlError> {
        match scope.lookup(name) {
            Some(Binding::Let {
                value: LetValue::Function(lambda),
                scope: defined,
            }) => Ok((lambda.clone(), defined.clone())),
            _ => Err(KqlError::Unsupported {
                name: format!("{name}()"),
                offset,
            }),
        }
    }

    /// The scope of a function's body: its definition scope, the arguments bound to the
    /// parameters (scalars compiled over `schema`, the caller's columns), then its own lets.
    fn bind_arguments(
        &self,
        lambda: &ast::Lambda,
        args: &[ast::Expr],
        offset: usize,
        caller: &Scope,
        defined: &Scope,
        schema: &DFSchema,
    ) -> Result<Scope, KqlError> {
        if args.len() > lambda.params.len() {
            return Err(semantic(
                offset,
                format!(
                    "the function takes {} argument(s), got {}",
                    lambda.params.len(),
                    args.len()
                ),
            ));
        }
        let mut scope = defined.clone();
        for (index, param) in lambda.params.iter().enumerate() {
            let (arg, arg_scope) = match (args.get(index), &param.default) {
                (Some(arg), _) => (arg, caller),
                (None, Some(default)) => (default, defined),
                (None, None) => {
                    return Err(semantic(
                        offset,
                        format!("argument '{}' is missing", param.name),
                    ));
                }
            };
            let binding = if param.tabular {
                Binding::Table(self.tabular_expr(arg, arg_scope)?)
            } else {
                Binding::Scalar(self.expr(arg, &expr::Context::new(schema, arg_scope))?)
            };
            scope = scope.with(&param.name, binding);
        }
        Ok(scope.with_lets(&lambda.lets))
    }

    /// `now()` as a literal.
    fn now_literal(&self) -> TypedExpr {
        TypedExpr {
            expr: lit(ScalarValue::TimestampNanosecond(
                Some(self.now),
                Some("UTC".into()),
            )),
            kind: KqlType::Datetime,
        }
    }
}
