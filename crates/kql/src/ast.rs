//! The shape of a parsed KQL query: statements, tabular pipelines and scalar expressions. Every
//! node that can be wrong keeps the byte offset it came from, so the compiler's errors point at it.

use crate::types::KqlType;

/// A whole query: `let` statements, then the tabular expression whose rows are the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The `let` statements, in order.
    pub lets: Vec<Let>,
    /// The query's result.
    pub body: Pipeline,
}

/// `let name = value;`
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    /// The bound name.
    pub name: String,
    /// What it is bound to.
    pub value: LetValue,
    /// Where the statement starts.
    pub offset: usize,
}

/// The right-hand side of a `let`.
#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// A scalar or tabular expression; which one is decided where the name is used.
    Expr(Expr),
    /// A function, inlined at each call.
    Function(Lambda),
}

/// `(a: string, T: (*)) { let ...; body }`
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    /// The parameters, in order.
    pub params: Vec<Param>,
    /// The `let` statements inside the body.
    pub lets: Vec<Let>,
    /// The body's result, scalar or tabular.
    pub body: Expr,
}

/// One parameter of a [`Lambda`].
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Whether it takes a table (`T: (*)`) rather than a scalar.
    pub tabular: bool,
    /// Its value when the caller leaves it out.
    pub default: Option<Expr>,
}

/// A tabular expression: a source and the operators its rows flow through.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Where the rows come from.
    pub source: Source,
    /// `| operator` in order.
    pub operators: Vec<Operator>,
}

/// Where a pipeline's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table, a tabular `let` or a tabular parameter.
    Name {
        /// As written (case-sensitive).
        name: String,
        /// Where it stands.
        offset: usize,
    },
    /// A call of a `let` function or `materialize(...)` / `view`-like wrapper.
    Call {
        /// The function.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
        /// Where it stands.
        offset: usize,
    },
    /// `(pipeline)`.
    Nested(Box<Pipeline>),
    /// `union ...` as the first thing.
    Union(Union),
    /// `datatable(a: long, ...) [values]`.
    Datatable {
        /// Column names and types.
        columns: Vec<(String, KqlType)>,
        /// The values, row after row.
        values: Vec<Expr>,
    },
    /// `range x from a to b step s`.
    Range {
        /// The column's name.
        name: String,
        /// First value.
        from: Expr,
        /// Last value (inclusive).
        to: Expr,
        /// Increment.
        step: Expr,
    },
    /// `print a = 1, ...`: one row.
    Print(Vec<Assignment>),
    /// `search ...` over every table, or those named.
    Search(Search),
    /// No source: the operators of an `mv-apply` subquery.
    Input,
    /// A real KQL source Tandem parses but cannot run (`find`, `externaldata`, `evaluate`).
    Unsupported {
        /// The keyword.
        name: String,
        /// Where it stands.
        offset: usize,
    },
}

/// `union [kind=...] [withsource=...] tables`.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `kind=outer` (the default) keeps every column; `kind=inner` only the shared ones.
    pub outer: bool,
    /// `withsource=Name`: a column naming each row's table.
    pub with_source: Option<String>,
    /// The tables: names (with `*` wildcards) or pipelines.
    pub tables: Vec<UnionTable>,
    /// Where it stands.
    pub offset: usize,
}

/// One leg of a `union`.
#[derive(Debug, Clone, PartialEq)]
pub enum UnionTable {
    /// A table or let name, possibly with `*` wildcards.
    Pattern(String),
    /// A parenthesised pipeline.
    Pipeline(Box<Pipeline>),
}

/// `search [in (T1, T2)] predicate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The tables searched; every table when empty.
    pub tables: Vec<String>,
    /// The predicate; a bare string means "some column has this term".
    pub predicate: Expr,
    /// Where it stands.
    pub offset: usize,
}

/// A tabular operator, with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// What it does.
    pub kind: OperatorKind,
    /// Byte offset of its name.
    pub offset: usize,
}

/// The tabular operators.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    /// `where predicate`.
    Where(Expr),
    /// `project a, b = expr`.
    Project(Vec<Assignment>),
    /// `project-away a, b*`.
    ProjectAway(Vec<String>),
    /// `project-keep a, b*`.
    ProjectKeep(Vec<String>),
    /// `project-rename new = old`.
    ProjectRename(Vec<(String, String)>),
    /// `project-reorder a, b*`.
    ProjectReorder(Vec<String>),
    /// `extend a = expr`.
    Extend(Vec<Assignment>),
    /// `summarize aggregates by keys`.
    Summarize {
        /// The aggregates.
        aggregates: Vec<Assignment>,
        /// The group keys.
        by: Vec<Assignment>,
    },
    /// `count`.
    Count,
    /// `distinct a, b` (empty for `*`).
    Distinct(Vec<Expr>),
    /// `take n` / `limit n`.
    Take(Expr),
    /// `top n by key`.
    Top {
        /// How many rows.
        count: Expr,
        /// The order.
        by: Vec<SortKey>,
    },
    /// `sort by` / `order by`.
    Sort(Vec<SortKey>),
    /// `join kind=... (right) on keys`.
    Join {
        /// The join kind, lower-cased; `innerunique` when not written.
        kind: String,
        /// The right side.
        right: Pipeline,
        /// The keys.
        on: Vec<JoinKey>,
    },
    /// `lookup kind=... right on keys`.
    Lookup {
        /// Whether `kind=inner` (otherwise left outer).
        inner: bool,
        /// The dimension table.
        right: Pipeline,
        /// The keys.
        on: Vec<JoinKey>,
    },
    /// `| union ...`: the input is the first leg.
    Union(Union),
    /// `mv-expand`.
    MvExpand(MvExpand),
    /// `mv-apply items on (subquery)`.
    MvApply {
        /// The expansion.
        expand: MvExpand,
        /// The subquery run over each row's expanded items.
        subquery: Pipeline,
    },
    /// `parse` and `parse-where`.
    Parse(Parse),
    /// `make-series`.
    MakeSeries(MakeSeries),
    /// `top-nested`, one level after another.
    TopNested(Vec<TopNestedLevel>),
    /// `as Name`.
    As(String),
    /// `search predicate` over the input.
    Search(Expr),
    /// `render ...` (accepted and ignored: Tandem answers data, not charts).
    Render,
    /// `serialize [a = expr]`.
    Serialize(Vec<Assignment>),
    /// `getschema`.
    GetSchema,
    /// `sample n`.
    Sample(Expr),
    /// `invoke f(args)`.
    Invoke {
        /// The function.
        name: String,
        /// Its arguments after the implicit input table.
        args: Vec<Expr>,
    },
    /// A real KQL operator Tandem parses but cannot run (`evaluate`, `fork`, ...).
    Unsupported(String),
}

/// `name = expr`, `(a, b) = expr` or a bare `expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The names written on the left; empty when the name is derived from the expression.
    pub names: Vec<String>,
    /// The value.
    pub expr: Expr,
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// What to sort by.
    pub expr: Expr,
    /// Ascending (KQL sorts descending unless told).
    pub ascending: bool,
    /// Nulls first; when not written, first for ascending, last for descending.
    pub nulls_first: Option<bool>,
}

/// One join key: `on A` (same name both sides) or `on $left.A == $right.B`.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinKey {
    /// The left side's column.
    pub left: String,
    /// The right side's column.
    pub right: String,
    /// Where it stands.
    pub offset: usize,
}

/// The expansion part of `mv-expand` and `mv-apply`.
#[derive(Debug, Clone, PartialEq)]
pub struct MvExpand {
    /// The expanded values.
    pub items: Vec<MvItem>,
    /// `with_itemindex=Name`.
    pub item_index: Option<String>,
    /// `limit n`.
    pub limit: Option<Expr>,
}

/// `[name =] expr [to typeof(type)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MvItem {
    /// The output column's name, if written.
    pub name: Option<String>,
    /// The dynamic array (or bag) to expand.
    pub expr: Expr,
    /// `to typeof(type)`.
    pub to: Option<KqlType>,
}

/// `parse [kind=...] expr with pattern`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parse {
    /// `parse-where`: rows that do not match are dropped.
    pub filter: bool,
    /// `kind=regex`: the literals are regular expressions.
    pub regex: bool,
    /// The parsed text.
    pub expr: Expr,
    /// The pattern.
    pub pattern: Vec<ParsePart>,
}

/// One element of a `parse` pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// Literal text (a regex in `kind=regex`).
    Literal(String),
    /// `*`: anything, discarded.
    Wildcard,
    /// `Name[:type]`: a new column.
    Column {
        /// Its name.
        name: String,
        /// Its type; string when not written.
        kind: KqlType,
    },
}

/// `make-series aggregates on axis [from] [to] step s [by keys]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    /// The aggregates, each with its `default=`.
    pub aggregates: Vec<(Assignment, Option<Expr>)>,
    /// The axis column.
    pub on: Expr,
    /// The first bin.
    pub from: Option<Expr>,
    /// The end of the axis (exclusive).
    pub to: Option<Expr>,
    /// The bin size.
    pub step: Expr,
    /// The group keys.
    pub by: Vec<Assignment>,
}

/// One level of `top-nested`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    /// How many values to keep (all when absent).
    pub count: Option<Expr>,
    /// The grouped expression.
    pub of: Assignment,
    /// The aggregate ranked by.
    pub by: Assignment,
    /// Ascending instead of the default descending.
    pub ascending: bool,
}

/// A scalar expression (or, where a table is expected, a parenthesised pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it starts.
    pub offset: usize,
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// A column, scalar `let` or parameter.
    Name(String),
    /// `*` (in `arg_max(x, *)`, `count(*)`, `distinct *`).
    Star,
    /// `base.name`.
    Member(Box<Expr>, String),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `name(args)`.
    Call {
        /// The function, as written.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `-x`, `+x`.
    Negate(Box<Expr>),
    /// Arithmetic, comparison, `and`, `or`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// A string operator (`has`, `contains`, `startswith`, `matches regex`, ...).
    StringOp {
        /// The function it resolves to (`has`, `contains_cs`, `matches_regex`, ...).
        name: String,
        /// `!has`, `!contains`, ...
        negated: bool,
        /// The text searched.
        left: Box<Expr>,
        /// The operand(s): one, or the list of `has_any (a, b)`.
        right: Vec<Expr>,
    },
    /// `x in (a, b)`, `x in~ (...)`, `x !in (...)`, `x in (T | project y)`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The list (or one subquery).
        list: Vec<Expr>,
        /// `in~`.
        case_insensitive: bool,
        /// `!in`.
        negated: bool,
    },
    /// `x between (low .. high)`.
    Between {
        /// The tested value.
        value: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
        /// `!between`.
        negated: bool,
    },
    /// A parenthesised pipeline where a table is expected (`in (T | ...)`, `toscalar(...)`).
    Pipeline(Box<Pipeline>),
}

/// Arithmetic, comparison and logical operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Subtract,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `==`
    Equal,
    /// `!=` / `<>`
    NotEqual,
    /// `=~`
    EqualCi,
    /// `!~`
    NotEqualCi,
    /// `<`
    Less,
    /// `<=`
    LessEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterEqual,
    /// `and`
    And,
    /// `or`
    Or,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A typed null: `int(null)`, `datetime(null)`, ...
    Null(KqlType),
    /// `true` / `false`.
    Bool(bool),
    /// An `int(5)`.
    Int(i32),
    /// A whole number.
    Long(i64),
    /// A number with a fraction.
    Real(f64),
    /// Text.
    String(String),
    /// Nanoseconds since the Unix epoch, UTC.
    Datetime(i64),
    /// Nanoseconds.
    Timespan(i64),
    /// `guid(...)`, as text.
    Guid(String),
    /// `dynamic(...)`, as JSON text.
    Dynamic(String),
}

impl Expr {
    /// An expression of `kind` at `offset`.
    pub fn new(kind: ExprKind, offset: usize) -> Expr {
        Expr { kind, offset }
    }

    /// The column name KQL derives for this expression when none is written: a column keeps its
    /// name, `a.b` and `a['b']` become `a_b`, a conversion (`tostring(a.b)`) takes its argument's.
    pub fn derived_name(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Name(name) => Some(name.clone()),
            ExprKind::Member(base, key) => Some(format!("{}_{key}", base.derived_name()?)),
            ExprKind::Index(base, index) => match &index.kind {
                ExprKind::Literal(Literal::String(key)) => {
                    Some(format!("{}_{key}", base.derived_name()?))
                }
                ExprKind::Literal(Literal::Long(i)) => {
                    Some(format!("{}_{i}", base.derived_name()?))
                }
                _ => None,
            },
            ExprKind::Call { name, args } if args.len() == 1 && is_conversion(name) => {
                args[0].derived_name()
            }
            _ => None,
        }
    }
}

/// Functions that only change a value's type, so a derived column name looks through them.
fn is_conversion(name: &str) -> bool {
    matches!(
        name,
        "tostring"
            | "toint"
            | "tolong"
            | "todouble"
            | "toreal"
            | "tobool"
            | "toboolean"
            | "todatetime"
            | "totimespan"
            | "toguid"
            | "todynamic"
            | "parse_json"
            | "todecimal"
    )
}
