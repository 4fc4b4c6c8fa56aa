//! The syntax tree of a query: a source table and a pipeline of tabular operators.
//!
//! The tree mirrors KQL's own structure (tabular operators over scalar expressions), so a new operator
//! or function is a new variant here, a new branch in the parser and a new case in the evaluator.

/// A whole query: `Table | op | op ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The table the pipeline starts from.
    pub table: String,
    /// The operators, in order.
    pub operators: Vec<Operator>,
}

/// A tabular operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `where <predicate>`: keeps the rows for which the predicate is true.
    Where(Expr),
    /// `project a, b`: keeps these columns, in this order.
    Project(Vec<String>),
    /// `take n` / `limit n`: keeps the first n rows.
    Take(usize),
    /// `order by` / `sort by`: sorts by the keys, the first key first.
    Sort(Vec<SortKey>),
    /// `summarize [name =] count() [by a, b]`: one row per group with its row count.
    Summarize {
        /// Name of the count column (`count_` unless given).
        count_column: String,
        /// The grouping columns.
        by: Vec<String>,
    },
}

/// One key of a sort.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The column to sort by.
    pub column: String,
    /// True for `asc`; KQL sorts descending unless told otherwise.
    pub ascending: bool,
}

/// A scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column of the current row.
    Column(String),
    /// A constant.
    Literal(Literal),
    /// A comparison or string test: `left op right`.
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `left in (a, b, ...)`, or `!in` when `negated`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// True for `!in`.
        negated: bool,
    },
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `not(a)`.
    Not(Box<Expr>),
    /// `ago(timespan)`: now minus the timespan.
    Ago(Box<Expr>),
    /// `now()`.
    Now,
}

/// A constant in a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(String),
    /// An integer.
    Long(i64),
    /// A real number.
    Real(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A timespan, in seconds.
    Timespan(f64),
    /// `datetime(...)`, as written.
    Datetime(String),
    /// `null` / `dynamic(null)`.
    Null,
}

/// The binary comparisons and string tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~` (case-insensitive equality)
    EqIgnoreCase,
    /// `!~`
    NeIgnoreCase,
    /// `contains` (case-insensitive substring)
    Contains,
    /// `!contains`
    NotContains,
    /// `has` (case-insensitive whole term)
    Has,
    /// `!has`
    NotHas,
}
