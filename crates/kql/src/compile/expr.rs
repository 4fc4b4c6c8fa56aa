//! Scalar expressions: names resolved to columns, lets and parameters; literals typed; arithmetic
//! and comparison with KQL's rules for datetimes, timespans and `dynamic` values; every function
//! call and string operator resolved through the functions module.

use std::cell::RefCell;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::functions::expr_fn::lower;
use datafusion::logical_expr::expr_fn::{cast, in_list, in_subquery, not, not_in_subquery};
use datafusion::logical_expr::{Expr, Operator, binary_expr, lit};

use super::{Binding, Compiler, Scope, engine, semantic, typed_column};
use crate::ast::{self, BinaryOp, ExprKind, LetValue, Literal};
use crate::error::{FunctionError, KqlError};
use crate::functions::{self, TypedExpr};
use crate::types::KqlType;

/// Aggregate functions: allowed only in `summarize` (and `make-series`, `top-nested`).
pub(crate) const AGGREGATES: [&str; 38] = [
    "count",
    "countif",
    "dcount",
    "dcountif",
    "count_distinct",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "min",
    "max",
    "minif",
    "maxif",
    "arg_max",
    "arg_min",
    "make_set",
    "makeset",
    "make_set_if",
    "make_list",
    "makelist",
    "make_list_if",
    "make_list_with_nulls",
    "make_bag",
    "make_bag_if",
    "any",
    "take_any",
    "take_anyif",
    "anyif",
    "percentile",
    "percentiles",
    "percentiles_array",
    "stdev",
    "stdevif",
    "variance",
    "varianceif",
    "hll",
    "tdigest",
    "binary_all_or",
];

/// Where a scalar expression is compiled: the input's columns and the names in scope, and in an
/// aggregation, where the aggregates it contains are collected.
pub(crate) struct Context<'a> {
    /// The input's columns.
    pub schema: &'a DFSchema,
    /// The names in scope.
    pub scope: &'a Scope,
    /// In `summarize`: the hidden aggregate columns found so far, each `(name, aggregate)`.
    pub aggregates: Option<&'a RefCell<Vec<(String, TypedExpr)>>>,
}

impl<'a> Context<'a> {
    /// A context without aggregation.
    pub fn new(schema: &'a DFSchema, scope: &'a Scope) -> Context<'a> {
        Context {
            schema,
            scope,
            aggregates: None,
        }
    }

    fn without_aggregates(&self) -> Context<'a> {
        Context::new(self.schema, self.scope)
    }
}

/// A function error, placed at `offset`.
pub(crate) fn function_error(error: FunctionError, offset: usize) -> KqlError {
    match error {
        FunctionError::Unknown(name) => KqlError::Unsupported {
            name: format!("{name}()"),
            offset,
        },
        other => semantic(offset, other.to_string()),
    }
}

/// The function converting a value to `kind`.
pub(crate) fn conversion(kind: KqlType) -> &'static str {
    match kind {
        KqlType::String => "tostring",
        KqlType::Int => "toint",
        KqlType::Long => "tolong",
        KqlType::Real => "toreal",
        KqlType::Bool => "tobool",
        KqlType::Datetime => "todatetime",
        KqlType::Timespan => "totimespan",
        KqlType::Guid => "toguid",
        KqlType::Dynamic => "todynamic",
    }
}

fn is_numeric(kind: KqlType) -> bool {
    matches!(kind, KqlType::Int | KqlType::Long | KqlType::Real)
}

/// `value` as `kind`: unchanged if it already is, a cast between numbers, otherwise the
/// conversion function.
pub(crate) fn convert(
    value: TypedExpr,
    kind: KqlType,
    offset: usize,
) -> Result<TypedExpr, KqlError> {
    if value.kind == kind {
        return Ok(value);
    }
    if is_numeric(value.kind) && is_numeric(kind) {
        return Ok(TypedExpr {
            expr: cast(value.expr, kind.arrow_type()),
            kind,
        });
    }
    if kind == KqlType::String && value.kind == KqlType::Guid {
        return Ok(TypedExpr {
            expr: value.expr,
            kind,
        });
    }
    functions::scalar_call(conversion(kind), vec![value]).map_err(|e| function_error(e, offset))
}

/// The literal's typed value.
pub(crate) fn literal(value: &Literal) -> Result<TypedExpr, KqlError> {
    let (scalar, kind) = match value {
        Literal::Null(kind) => (
            ScalarValue::try_from(&kind.arrow_type()).map_err(engine)?,
            *kind,
        ),
        Literal::Bool(b) => (ScalarValue::Boolean(Some(*b)), KqlType::Bool),
        Literal::Int(n) => (ScalarValue::Int32(Some(*n)), KqlType::Int),
        Literal::Long(n) => (ScalarValue::Int64(Some(*n)), KqlType::Long),
        Literal::Real(n) => (ScalarValue::Float64(Some(*n)), KqlType::Real),
        Literal::String(s) => (ScalarValue::Utf8(Some(s.clone())), KqlType::String),
        Literal::Datetime(n) => (datetime_value(*n), KqlType::Datetime),
        Literal::Timespan(n) => (ScalarValue::DurationNanosecond(Some(*n)), KqlType::Timespan),
        Literal::Guid(s) => (ScalarValue::Utf8(Some(s.clone())), KqlType::Guid),
        Literal::Dynamic(s) => (ScalarValue::Utf8(Some(s.clone())), KqlType::Dynamic),
    };
    Ok(TypedExpr {
        expr: lit(scalar),
        kind,
    })
}

/// A datetime scalar from nanoseconds since the epoch.
pub(crate) fn datetime_value(nanos: i64) -> ScalarValue {
    ScalarValue::TimestampNanosecond(Some(nanos), Some("UTC".into()))
}

/// A datetime or timespan as its nanoseconds (Int64).
pub(crate) fn nanos(value: Expr) -> Expr {
    cast(value, DataType::Int64)
}

/// Int64 nanoseconds as a datetime.
pub(crate) fn as_datetime(value: Expr) -> Expr {
    cast(
        value,
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
    )
}

/// Int64 nanoseconds as a timespan.
pub(crate) fn as_timespan(value: Expr) -> Expr {
    cast(value, DataType::Duration(TimeUnit::Nanosecond))
}

fn typed(expr: Expr, kind: KqlType) -> TypedExpr {
    TypedExpr { expr, kind }
}

impl Compiler {
    /// Compiles a scalar expression.
    pub(crate) fn expr(&self, e: &ast::Expr, cx: &Context<'_>) -> Result<TypedExpr, KqlError> {
        match &e.kind {
            ExprKind::Literal(value) => literal(value),
            ExprKind::Name(name) => self.name(name, e.offset, cx),
            ExprKind::Star => Err(semantic(e.offset, "'*' is not a value here")),
            ExprKind::Member(base, key) => {
                let base = self.expr(base, cx)?;
                Ok(functions::member(base, key))
            }
            ExprKind::Index(base, index) => {
                let base = self.expr(base, cx)?;
                let index = self.expr(index, cx)?;
                Ok(functions::element(base, index))
            }
            ExprKind::Call { name, args } => self.call(name, args, e.offset, cx),
            ExprKind::Negate(operand) => {
                let operand = self.expr(operand, cx)?;
                Ok(typed(Expr::Negative(Box::new(operand.expr)), operand.kind))
            }
            ExprKind::Binary { op, left, right } => {
                let left = self.expr(left, cx)?;
                let right = self.expr(right, cx)?;
                binary(*op, left, right, e.offset)
            }
            ExprKind::StringOp {
                name,
                negated,
                left,
                right,
            } => {
                let mut args = vec![self.expr(left, cx)?];
                for operand in right {
                    args.push(self.expr(operand, cx)?);
                }
                let result = functions::scalar_call(name, args)
                    .map_err(|error| function_error(error, e.offset))?;
                Ok(negate_if(result, *negated))
            }
            ExprKind::In {
                value,
                list,
                case_insensitive,
                negated,
            } => self.in_list(value, list, *case_insensitive, *negated, cx),
            ExprKind::Between {
                value,
                low,
                high,
                negated,
            } => {
                let args = vec![
                    self.expr(value, cx)?,
                    self.expr(low, cx)?,
                    self.expr(high, cx)?,
                ];
                let result = functions::scalar_call("between", args)
                    .map_err(|error| function_error(error, e.offset))?;
                Ok(negate_if(result, *negated))
            }
            ExprKind::Pipeline(_) => Err(semantic(
                e.offset,
                "a tabular expression where a scalar is expected (wrap it in toscalar())",
            )),
        }
    }

    /// A column of the input, else a scalar `let` or parameter.
    fn name(&self, name: &str, offset: usize, cx: &Context<'_>) -> Result<TypedExpr, KqlError> {
        if let Some(field) = cx.schema.fields().iter().find(|f| f.name() == name) {
            return Ok(typed_column(name, KqlType::of_field(field)));
        }
        match cx.scope.lookup(name) {
            Some(Binding::Scalar(value)) => Ok(value.clone()),
            Some(Binding::Let {
                value: LetValue::Expr(expr),
                scope,
            }) => {
                if let ExprKind::Pipeline(_) = expr.kind {
                    return Err(semantic(
                        offset,
                        format!("'{name}' is a table; a scalar is expected here"),
                    ));
                }
                let defined = Context {
                    schema: cx.schema,
                    scope,
                    aggregates: cx.aggregates,
                };
                self.expr(expr, &defined)
            }
            Some(Binding::Let {
                value: LetValue::Function(lambda),
                scope,
            }) if lambda.params.is_empty() => {
                let body_scope = scope.with_lets(&lambda.lets);
                self.expr(&lambda.body, &Context::new(cx.schema, &body_scope))
            }
            Some(_) => Err(semantic(offset, format!("'{name}' is not a scalar"))),
            None => Err(semantic(offset, format!("unknown column or name '{name}'"))),
        }
    }

    fn call(
        &self,
        name: &str,
        args: &[ast::Expr],
        offset: usize,
        cx: &Context<'_>,
    ) -> Result<TypedExpr, KqlError> {
        if let Some(Binding::Let {
            value: LetValue::Function(lambda),
            scope,
        }) = cx.scope.lookup(name)
        {
            let body_scope =
                self.bind_arguments(lambda, args, offset, cx.scope, scope, cx.schema)?;
            let body = Context {
                schema: cx.schema,
                scope: &body_scope,
                aggregates: cx.aggregates,
            };
            return self.expr(&lambda.body, &body);
        }
        if AGGREGATES.contains(&name) {
            return self.aggregate_in_expression(name, args, offset, cx);
        }
        match (name, args) {
            ("not", [operand]) => {
                let operand = self.expr(operand, cx)?;
                let operand = convert(operand, KqlType::Bool, offset)?;
                Ok(typed(not(operand.expr), KqlType::Bool))
            }
            ("now", []) => Ok(self.now_literal()),
            ("now", [shift]) => {
                let shift = self.expr(shift, cx)?;
                arithmetic(BinaryOp::Add, self.now_literal(), shift, offset)
            }
            ("ago", [span]) => {
                let span = self.expr(span, cx)?;
                arithmetic(BinaryOp::Subtract, self.now_literal(), span, offset)
            }
            ("toscalar", [query]) => self.scalar_subquery(query, cx),
            _ => {
                let mut compiled = Vec::with_capacity(args.len());
                for arg in args {
                    compiled.push(self.expr(arg, cx)?);
                }
                functions::scalar_call(name, compiled).map_err(|e| function_error(e, offset))
            }
        }
    }

    /// An aggregate inside a `summarize` expression: compiled, collected as a hidden column, and
    /// replaced by a reference to that column.
    fn aggregate_in_expression(
        &self,
        name: &str,
        args: &[ast::Expr],
        offset: usize,
        cx: &Context<'_>,
    ) -> Result<TypedExpr, KqlError> {
        let Some(collected) = cx.aggregates else {
            return Err(semantic(
                offset,
                format!("the aggregate '{name}()' is allowed only in summarize"),
            ));
        };
        let aggregate = self.aggregate(name, args, offset, &cx.without_aggregates())?;
        let mut collected = collected.borrow_mut();
        let hidden = format!("__aggregate{}", collected.len());
        let kind = aggregate.kind;
        collected.push((hidden.clone(), aggregate));
        Ok(typed_column(&hidden, kind))
    }

    /// One aggregate function call (`count()`, `dcount(x)`, ...), `arg_max` aside.
    pub(crate) fn aggregate(
        &self,
        name: &str,
        args: &[ast::Expr],
        offset: usize,
        cx: &Context<'_>,
    ) -> Result<TypedExpr, KqlError> {
        if name == "count" && (args.is_empty() || matches!(args[0].kind, ExprKind::Star)) {
            return Ok(typed(
                datafusion::functions_aggregate::expr_fn::count(lit(1i64)),
                KqlType::Long,
            ));
        }
        if matches!(name, "arg_max" | "arg_min") {
            return Err(semantic(
                offset,
                format!("{name}() must stand alone in its summarize clause"),
            ));
        }
        let mut compiled = Vec::with_capacity(args.len());
        for arg in args {
            compiled.push(self.expr(arg, cx)?);
        }
        functions::aggregate_call(name, compiled).map_err(|e| function_error(e, offset))
    }

    /// `toscalar(T | ...)`: the first column of the first row.
    fn scalar_subquery(&self, query: &ast::Expr, cx: &Context<'_>) -> Result<TypedExpr, KqlError> {
        let (plan, kind) = self.first_column_plan(query, cx.scope, Some(1))?;
        Ok(typed(
            datafusion::logical_expr::expr_fn::scalar_subquery(Arc::new(plan)),
            kind,
        ))
    }

    /// The plan of a tabular expression reduced to its first column.
    fn first_column_plan(
        &self,
        query: &ast::Expr,
        scope: &Scope,
        limit: Option<usize>,
    ) -> Result<(datafusion::logical_expr::LogicalPlan, KqlType), KqlError> {
        let df = self.tabular_expr(query, scope)?;
        let Some(field) = df.schema().fields().first().cloned() else {
            return Err(semantic(query.offset, "the subquery has no columns"));
        };
        let kind = KqlType::of_field(&field);
        let mut df = df
            .select(vec![super::column(field.name())])
            .map_err(engine)?;
        if let Some(limit) = limit {
            df = df.limit(0, Some(limit)).map_err(engine)?;
        }
        Ok((df.into_unoptimized_plan(), kind))
    }

    /// `x in (...)`, `x !in (...)`, `x in~ (...)`.
    fn in_list(
        &self,
        value: &ast::Expr,
        list: &[ast::Expr],
        case_insensitive: bool,
        negated: bool,
        cx: &Context<'_>,
    ) -> Result<TypedExpr, KqlError> {
        let offset = value.offset;
        let value = self.expr(value, cx)?;
        if let [
            query @ ast::Expr {
                kind: ExprKind::Pipeline(_),
                ..
            },
        ] = list
        {
            let (plan, kind) = self.first_column_plan(query, cx.scope, None)?;
            let value = convert(value, kind, offset)?;
            let plan = Arc::new(plan);
            let expr = if negated {
                not_in_subquery(value.expr, plan)
            } else {
                in_subquery(value.expr, plan)
            };
            return Ok(typed(expr, KqlType::Bool));
        }
        let mut elements = Vec::new();
        for item in list {
            let element = self.expr(item, cx)?;
            match constant_array(&element) {
                Some(items) => elements.extend(items),
                None => elements.push(element),
            }
        }
        if case_insensitive || elements.iter().any(|e| e.kind == KqlType::Dynamic) {
            let name = if case_insensitive { "in_ci" } else { "in" };
            let mut args = vec![value];
            args.extend(elements);
            let result =
                functions::scalar_call(name, args).map_err(|e| function_error(e, offset))?;
            return Ok(negate_if(result, negated));
        }
        let value = match elements.first() {
            Some(first) if value.kind == KqlType::Dynamic => convert(value, first.kind, offset)?,
            _ => value,
        };
        let list = elements.into_iter().map(|e| e.expr).collect();
        Ok(typed(in_list(value.expr, list, negated), KqlType::Bool))
    }
}

/// The elements of a constant `dynamic([...])` array as typed literals.
fn constant_array(element: &TypedExpr) -> Option<Vec<TypedExpr>> {
    let Expr::Literal(ScalarValue::Utf8(Some(text)), _) = &element.expr else {
        return None;
    };
    if element.kind != KqlType::Dynamic {
        return None;
    }
    let serde_json::Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    items
        .into_iter()
        .map(|item| {
            let value = match item {
                serde_json::Value::String(s) => Literal::String(s),
                serde_json::Value::Bool(b) => Literal::Bool(b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Literal::Long(i),
                    None => Literal::Real(n.as_f64()?),
                },
                other => Literal::Dynamic(other.to_string()),
            };
            literal(&value).ok()
        })
        .collect()
}

fn negate_if(value: TypedExpr, negated: bool) -> TypedExpr {
    if negated {
        typed(not(value.expr), KqlType::Bool)
    } else {
        value
    }
}

/// A binary operator over two compiled operands.
pub(crate) fn binary(
    op: BinaryOp,
    left: TypedExpr,
    right: TypedExpr,
    offset: usize,
) -> Result<TypedExpr, KqlError> {
    match op {
        BinaryOp::And | BinaryOp::Or => {
            let left = convert(left, KqlType::Bool, offset)?;
            let right = convert(right, KqlType::Bool, offset)?;
            let expr = if op == BinaryOp::And {
                left.expr.and(right.expr)
            } else {
                left.expr.or(right.expr)
            };
            Ok(typed(expr, KqlType::Bool))
        }
        BinaryOp::EqualCi | BinaryOp::NotEqualCi => {
            let left = convert(left, KqlType::String, offset)?;
            let right = convert(right, KqlType::String, offset)?;
            let operator = if op == BinaryOp::EqualCi {
                Operator::Eq
            } else {
                Operator::NotEq
            };
            Ok(typed(
                binary_expr(lower(left.expr), operator, lower(right.expr)),
                KqlType::Bool,
            ))
        }
        BinaryOp::Equal
        | BinaryOp::NotEqual
        | BinaryOp::Less
        | BinaryOp::LessEqual
        | BinaryOp::Greater
        | BinaryOp::GreaterEqual => compare(op, left, right, offset),
        _ => arithmetic(op, left, right, offset),
    }
}

fn comparison_operator(op: BinaryOp) -> Operator {
    match op {
        BinaryOp::Equal => Operator::Eq,
        BinaryOp::NotEqual => Operator::NotEq,
        BinaryOp::Less => Operator::Lt,
        BinaryOp::LessEqual => Operator::LtEq,
        BinaryOp::Greater => Operator::Gt,
        _ => Operator::GtEq,
    }
}

/// A comparison; a `dynamic` operand is first converted to the other side's type, and
/// timespans compare by their nanoseconds.
fn compare(
    op: BinaryOp,
    left: TypedExpr,
    right: TypedExpr,
    offset: usize,
) -> Result<TypedExpr, KqlError> {
    let (left, right) = match (left.kind, right.kind) {
        (KqlType::Dynamic, other) if other != KqlType::Dynamic => {
            (convert(left, other, offset)?, right)
        }
        (other, KqlType::Dynamic) if other != KqlType::Dynamic => {
            let right = convert(right, other, offset)?;
            (left, right)
        }
        _ => (left, right),
    };
    let (l, r) = if left.kind == KqlType::Timespan || right.kind == KqlType::Timespan {
        (nanos(left.expr), nanos(right.expr))
    } else {
        (left.expr, right.expr)
    };
    Ok(typed(
        binary_expr(l, comparison_operator(op), r),
        KqlType::Bool,
    ))
}

/// Arithmetic with KQL's types: datetime − datetime is a timespan, datetime ± timespan a
/// datetime, timespan × number a timespan; numbers widen int → long → real.
pub(crate) fn arithmetic(
    op: BinaryOp,
    left: TypedExpr,
    right: TypedExpr,
    offset: usize,
) -> Result<TypedExpr, KqlError> {
    let operator = match op {
        BinaryOp::Add => Operator::Plus,
        BinaryOp::Subtract => Operator::Minus,
        BinaryOp::Multiply => Operator::Multiply,
        BinaryOp::Divide => Operator::Divide,
        _ => Operator::Modulo,
    };
    let left = dynamic_as_number(left, offset)?;
    let right = dynamic_as_number(right, offset)?;
    let on_nanos = |result: fn(Expr) -> Expr, kind| {
        let expr = binary_expr(
            nanos(left.expr.clone()),
            operator,
            nanos(right.expr.clone()),
        );
        Ok(typed(result(expr), kind))
    };
    use KqlType::{Datetime, Int, Long, Real, Timespan};
    match (left.kind, right.kind, op) {
        (Datetime, Datetime, BinaryOp::Subtract) => on_nanos(as_timespan, Timespan),
        (Datetime, Timespan, BinaryOp::Add | BinaryOp::Subtract)
        | (Timespan, Datetime, BinaryOp::Add) => on_nanos(as_datetime, Datetime),
        (Timespan, Timespan, BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Modulo) => {
            on_nanos(as_timespan, Timespan)
        }
        (Timespan, Timespan, BinaryOp::Divide) => Ok(typed(
            binary_expr(
                cast(nanos(left.expr), DataType::Float64),
                operator,
                nanos(right.expr),
            ),
            Real,
        )),
        (Timespan, Int | Long | Real, BinaryOp::Multiply | BinaryOp::Divide)
        | (Int | Long | Real, Timespan, BinaryOp::Multiply) => {
            let scaled = binary_expr(
                cast(nanos_or_number(left), DataType::Float64),
                operator,
                cast(nanos_or_number(right), DataType::Float64),
            );
            Ok(typed(as_timespan(cast(scaled, DataType::Int64)), Timespan))
        }
        (l, r, _) if is_numeric(l) && is_numeric(r) => {
            let kind = if l == Real || r == Real {
                Real
            } else if l == Long || r == Long {
                Long
            } else {
                Int
            };
            let expr = binary_expr(
                cast(left.expr, kind.arrow_type()),
                operator,
                cast(right.expr, kind.arrow_type()),
            );
            Ok(typed(expr, kind))
        }
        (l, r, _) => Err(semantic(
            offset,
            format!("cannot apply '{operator}' to {l} and {r}"),
        )),
    }
}

/// A timespan's nanoseconds, or a number as it is.
fn nanos_or_number(value: TypedExpr) -> Expr {
    if value.kind == KqlType::Timespan {
        nanos(value.expr)
    } else {
        value.expr
    }
}

/// A `dynamic` operand of arithmetic, read as a real number.
fn dynamic_as_number(value: TypedExpr, offset: usize) -> Result<TypedExpr, KqlError> {
    if value.kind == KqlType::Dynamic {
        convert(value, KqlType::Real, offset)
    } else {
        Ok(value)
    }
}
