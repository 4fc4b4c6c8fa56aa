//! The `$filter` query option: a tokenizer, a small AST and its translation to an SQL condition with
//! bound parameters.
//!
//! The grammar is the subset of OData the Graph security and Sentinel APIs document, written so that new
//! operators and functions slot in: comparisons (`eq ne gt ge lt le`) of a property with a literal,
//! membership (`status in ('active','inProgress')`) of a text or integer property in a list of values,
//! combined with `and`, `or`, `not` and parentheses. Literals are `'strings'` (quotes doubled inside),
//! bare date-times (`2024-01-01T00:00:00Z`) and OData v3's `datetime'2024-01-01T00:00:00Z'`, numbers,
//! `true`, `false` and `null`.
//!
//! The parser counts nesting and comparisons as it goes and stops at [`MAX_FILTER_DEPTH`] and
//! [`MAX_FILTER_TERMS`] (each value of an `in` list counts as a comparison), so every later walk over the tree (SQL generation, the database's own parser)
//! stays within a known depth.

use chrono::{DateTime, Utc};
use tandem_model::Timestamp;

use crate::QueryError;
use crate::limits::{MAX_FILTER_DEPTH, MAX_FILTER_TERMS};

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both sides hold.
    And(Box<Expr>, Box<Expr>),
    /// Either side holds.
    Or(Box<Expr>, Box<Expr>),
    /// The operand does not hold.
    Not(Box<Expr>),
    /// `property op literal`.
    Compare {
        /// The property name as written.
        property: String,
        /// The comparison.
        op: CompareOp,
        /// The right-hand side.
        value: Literal,
    },
    /// `property in (literal, ...)`: equal to one of the values.
    In {
        /// The property name as written.
        property: String,
        /// The values, at least one.
        values: Vec<Literal>,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'`
    String(String),
    /// A bare date-time.
    DateTime(DateTime<Utc>),
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`
    Null,
}

/// How a filterable property is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A point in time, stored as nanoseconds since the Unix epoch.
    Timestamp,
    /// Text compared case-insensitively with `eq` and `ne` (enums, owners).
    Text,
    /// A whole number (a sequence such as an incident number), compared with every operator.
    Integer,
}

/// A property `$filter` may name, and the column holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterField {
    /// The Graph property name.
    pub property: &'static str,
    /// The SQL column.
    pub column: &'static str,
    /// How the column is stored.
    pub kind: FieldKind,
}

/// A value bound to a placeholder of the generated SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// An integer (timestamps bind as nanoseconds since the Unix epoch).
    Integer(i64),
    /// Text.
    Text(String),
}

/// A `$filter` as an SQL condition and the values its placeholders bind, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFilter {
    /// The condition, with the dialect's placeholders.
    pub sql: String,
    /// The values to bind.
    pub params: Vec<Param>,
}

/// How one store spells what differs between SQL engines.
pub trait Dialect {
    /// The placeholder of the `index`-th bound value (1-based).
    fn placeholder(&self, index: usize) -> String;

    /// A case-insensitive comparison of a text `column` with a placeholder.
    fn text_comparison(&self, column: &str, op: &str, placeholder: &str) -> String;

    /// A case-insensitive test that a text `column` equals one of the values bound to `placeholders`.
    fn text_membership(&self, column: &str, placeholders: &[String]) -> String;
}

/// SQLite: `?` placeholders and `COLLATE NOCASE`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn placeholder(&self, _index: usize) -> String {
        "?".to_owned()
    }

    fn text_comparison(&self, column: &str, op: &str, placeholder: &str) -> String {
        format!("{column} {op} {placeholder} COLLATE NOCASE")
    }

    fn text_membership(&self, column: &str, placeholders: &[String]) -> String {
        format!("{column} COLLATE NOCASE IN ({})", placeholders.join(", "))
    }
}

/// Parses `$filter` text, refusing expressions nested deeper than [`MAX_FILTER_DEPTH`] or holding
/// more than [`MAX_FILTER_TERMS`] comparisons.
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        terms: 0,
    };
    let expr = parser.or_expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(filter_error(format!("unexpected '{}'", token.text()))),
    }
}

/// Translates an expression into an SQL condition with placeholders and the values to bind.
pub fn to_sql(
    expr: &Expr,
    fields: &[FilterField],
    dialect: &dyn Dialect,
) -> Result<SqlFilter, QueryError> {
    let mut writer = SqlWriter {
        fields,
        dialect,
        params: Vec::new(),
    };
    let sql = writer.write(expr)?;
    Ok(SqlFilter {
        sql,
        params: writer.params,
    })
}

struct SqlWriter<'a> {
    fields: &'a [FilterField],
    dialect: &'a dyn Dialect,
    params: Vec<Param>,
}

impl SqlWriter<'_> {
    fn write(&mut self, expr: &Expr) -> Result<String, QueryError> {
        Ok(match expr {
            Expr::And(a, b) => format!("({} AND {})", self.write(a)?, self.write(b)?),
            Expr::Or(a, b) => format!("({} OR {})", self.write(a)?, self.write(b)?),
            Expr::Not(a) => format!("(NOT {})", self.write(a)?),
            Expr::Compare {
                property,
                op,
                value,
            } => self.compare(property, *op, value)?,
            Expr::In { property, values } => self.membership(property, values)?,
        })
    }

    fn membership(&mut self, property: &str, values: &[Literal]) -> Result<String, QueryError> {
        let field = find_field(self.fields, property)?;
        if field.kind == FieldKind::Timestamp {
            return Err(filter_error(format!(
                "'{property}' does not support 'in'; compare it with ge, gt, le or lt"
            )));
        }
        let mut placeholders = Vec::with_capacity(values.len());
        for value in values {
            self.params
                .push(bind(field, property, CompareOp::Eq, value)?);
            placeholders.push(self.dialect.placeholder(self.params.len()));
        }
        Ok(match field.kind {
            FieldKind::Text => self.dialect.text_membership(field.column, &placeholders),
            FieldKind::Integer | FieldKind::Timestamp => {
                format!("{} IN ({})", field.column, placeholders.join(", "))
            }
        })
    }

    fn compare(
        &mut self,
        property: &str,
        op: CompareOp,
        value: &Literal,
    ) -> Result<String, QueryError> {
        let field = find_field(self.fields, property)?;
        if *value == Literal::Null {
            return match op {
                CompareOp::Eq => Ok(format!("{} IS NULL", field.column)),
                CompareOp::Ne => Ok(format!("{} IS NOT NULL", field.column)),
                _ => Err(filter_error(format!(
                    "'{property}' cannot be ordered against null"
                ))),
            };
        }
        self.params.push(bind(field, property, op, value)?);
        let placeholder = self.dialect.placeholder(self.params.len());
        Ok(match field.kind {
            FieldKind::Text => self
                .dialect
                .text_comparison(field.column, op.sql(), &placeholder),
            FieldKind::Timestamp | FieldKind::Integer => {
                format!("{} {} {placeholder}", field.column, op.sql())
            }
        })
    }
}

/// The value `field` binds for `property op value`, or why `value` does not fit the field.
fn bind(
    field: &FilterField,
    property: &str,
    op: CompareOp,
    value: &Literal,
) -> Result<Param, QueryError> {
    match field.kind {
        FieldKind::Timestamp => timestamp_param(property, value),
        FieldKind::Text => text_param(property, op, value),
        FieldKind::Integer => integer_param(property, value),
    }
}

fn find_field<'f>(
    fields: &'f [FilterField],
    property: &str,
) -> Result<&'f FilterField, QueryError> {
    fields
        .iter()
        .find(|f| f.property.eq_ignore_ascii_case(property))
        .ok_or_else(|| {
            let known: Vec<&str> = fields.iter().map(|f| f.property).collect();
            filter_error(format!(
                "property '{property}' cannot be filtered on; use one of {}",
                known.join(", ")
            ))
        })
}

fn timestamp_param(property: &str, value: &Literal) -> Result<Param, QueryError> {
    let instant = match value {
        Literal::DateTime(t) => *t,
        Literal::String(s) => parse_instant(s)
            .ok_or_else(|| filter_error(format!("'{s}' is not a date-time for '{property}'")))?,
        other => {
            return Err(filter_error(format!(
                "'{property}' takes a date-time, not {}",
                describe(other)
            )));
        }
    };
    instant
        .timestamp_nanos_opt()
        .map(Param::Integer)
        .ok_or_else(|| filter_error(format!("date-time for '{property}' is out of range")))
}

/// The largest magnitude an `f64` holds every integer up to (2^53): a number literal past it may
/// already have been rounded.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

fn integer_param(property: &str, value: &Literal) -> Result<Param, QueryError> {
    match value {
        Literal::Number(n) if n.fract() == 0.0 && n.abs() <= EXACT_INTEGER_LIMIT => {
            // Exact: a whole number within 2^53 converts without rounding.
            Ok(Param::Integer(*n as i64))
        }
        other => Err(filter_error(format!(
            "'{property}' takes a whole number from -{EXACT_INTEGER_LIMIT} to {EXACT_INTEGER_LIMIT}, not {}",
            describe(other)
        ))),
    }
}

fn text_param(property: &str, op: CompareOp, value: &Literal) -> Result<Param, QueryError> {
    if !op.is_equality() {
        return Err(filter_error(format!(
            "'{property}' supports only eq and ne"
        )));
    }
    match value {
        Literal::String(s) => Ok(Param::Text(s.clone())),
        other => Err(filter_error(format!(
            "'{property}' takes a quoted string, not {}",
            describe(other)
        ))),
    }
}

/// Parses RFC 3339 text as Graph writes it (a missing zone is UTC).
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    Timestamp::parse(text).ok().map(|t| t.instant())
}

fn describe(value: &Literal) -> String {
    match value {
        Literal::String(s) => format!("'{s}'"),
        Literal::DateTime(t) => t.to_rfc3339(),
        Literal::Number(n) => n.to_string(),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".to_owned(),
    }
}

fn filter_error(message: String) -> QueryError {
    QueryError::new("$filter", message)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::Str(s) => format!("'{s}'"),
            Token::Open => "(".to_owned(),
            Token::Close => ")".to_owned(),
            Token::Comma => ",".to_owned(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, ch)) = chars.peek() {
        match ch {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                tokens.push(Token::Str(quoted(&mut chars, start)?));
            }
            _ => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '\'' | ',') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

fn quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    start: usize,
) -> Result<String, QueryError> {
    let mut value = String::new();
    loop {
        match chars.next() {
            Some((_, '\'')) => {
                if chars.peek().map(|&(_, c)| c) == Some('\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    return Ok(value);
                }
            }
            Some((_, c)) => value.push(c),
            None => {
                return Err(filter_error(format!(
                    "string starting at character {start} is not closed"
                )));
            }
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Parentheses and `not`s open around the current position.
    depth: usize,
    /// Comparisons read so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word));
        if found {
            self.pos += 1;
        }
        found
    }

    fn or_expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.keyword("not") {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            self.enter()?;
            let inner = self.or_expr()?;
            self.depth -= 1;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err(filter_error("missing ')'".to_owned())),
            };
        }
        self.comparison()
    }

    /// Opens one more level of nesting, refusing to pass [`MAX_FILTER_DEPTH`].
    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(filter_error(format!(
                "the expression nests parentheses and 'not' more than {MAX_FILTER_DEPTH} deep"
            )));
        }
        Ok(())
    }

    /// Counts one more comparison, refusing to pass [`MAX_FILTER_TERMS`].
    fn count_term(&mut self) -> Result<(), QueryError> {
        self.terms += 1;
        if self.terms > MAX_FILTER_TERMS {
            return Err(filter_error(format!(
                "the expression holds more than {MAX_FILTER_TERMS} comparisons"
            )));
        }
        Ok(())
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        self.count_term()?;
        let property = match self.next() {
            Some(Token::Word(w)) if is_identifier(&w) => w,
            Some(other) => {
                return Err(filter_error(format!(
                    "expected a property, found '{}'",
                    other.text()
                )));
            }
            None => {
                return Err(filter_error(
                    "expected a property, found the end".to_owned(),
                ));
            }
        };
        let op = match self.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("in") => {
                let values = self.value_list(&property)?;
                return Ok(Expr::In { property, values });
            }
            Some(Token::Word(w)) => CompareOp::from_keyword(&w).ok_or_else(|| {
                filter_error(format!(
                    "'{w}' is not a supported operator; use eq, ne, gt, ge, lt, le or in"
                ))
            })?,
            _ => {
                return Err(filter_error(format!(
                    "expected an operator after '{property}'"
                )));
            }
        };
        let value = self.value(&property)?;
        Ok(Expr::Compare {
            property,
            op,
            value,
        })
    }

    fn value(&mut self, property: &str) -> Result<Literal, QueryError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Literal::String(s)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("datetime") => self.datetime(property),
            Some(Token::Word(w)) => literal(&w),
            _ => Err(filter_error(format!("expected a value after '{property}'"))),
        }
    }

    /// The quoted instant of OData v3's `datetime'2024-01-01T00:00:00Z'`, after its keyword.
    fn datetime(&mut self, property: &str) -> Result<Literal, QueryError> {
        match self.next() {
            Some(Token::Str(s)) => parse_instant(&s).map(Literal::DateTime).ok_or_else(|| {
                filter_error(format!("datetime'{s}' is not a date-time for '{property}'"))
            }),
            _ => Err(filter_error(format!(
                "expected a quoted date-time after 'datetime' for '{property}'"
            ))),
        }
    }

    /// The parenthesized, comma-separated values after `in`; each value past the first counts as one
    /// more comparison (the first was counted with the property).
    fn value_list(&mut self, property: &str) -> Result<Vec<Literal>, QueryError> {
        if self.next() != Some(Token::Open) {
            return Err(filter_error(format!("expected '(' after '{property} in'")));
        }
        let mut values = vec![self.value(property)?];
        loop {
            match self.next() {
                Some(Token::Close) => return Ok(values),
                Some(Token::Comma) => {
                    self.count_term()?;
                    values.push(self.value(property)?);
                }
                _ => {
                    return Err(filter_error(format!(
                        "expected ',' or ')' in the values of '{property} in'"
                    )));
                }
            }
        }
    }
}

fn is_identifier(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/')
}

fn literal(word: &str) -> Result<Literal, QueryError> {
    match word.to_ascii_lowercase().as_str() {
        "null" => return Ok(Literal::Null),
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        _ => {}
    }
    if let Some(instant) = word.contains('T').then(|| parse_instant(word)).flatten() {
        return Ok(Literal::DateTime(instant));
    }
    word.parse::<f64>()
        .map(Literal::Number)
        .map_err(|_| filter_error(format!("'{word}' is not a value; quote strings as 'text'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[FilterField] = &[
        FilterField {
            property: "status",
            column: "status",
            kind: FieldKind::Text,
        },
        FilterField {
            property: "lastUpdateDateTime",
            column: "last_update_ns",
            kind: FieldKind::Timestamp,
        },
        FilterField {
            property: "incidentNumber",
            column: "number",
            kind: FieldKind::Integer,
        },
    ];

    fn sql(text: &str) -> (String, Vec<Param>) {
        let filter = to_sql(&parse(text).unwrap(), FIELDS, &Sqlite).unwrap();
        (filter.sql, filter.params)
    }

    fn error(text: &str) -> String {
        match parse(text).and_then(|e| to_sql(&e, FIELDS, &Sqlite)) {
            Ok(found) => panic!("{text} was accepted as {found:?}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn equality_on_text_is_case_insensitive() {
        let (text, params) = sql("status eq 'Active'");
        assert_eq!(text, "status = ? COLLATE NOCASE");
        assert_eq!(params, vec![Param::Text("Active".into())]);
    }

    #[test]
    fn timestamps_bind_as_nanoseconds() {
        let (both, params) =
            sql("lastUpdateDateTime ge 2024-01-01T00:00:00Z and status eq 'active'");
        assert_eq!(both, "(last_update_ns >= ? AND status = ? COLLATE NOCASE)");
        assert_eq!(params[0], Param::Integer(1_704_067_200_000_000_000));
        let (_, quoted) = sql("lastUpdateDateTime lt '2024-01-01T00:00:00.5+01:00'");
        assert_eq!(quoted, vec![Param::Integer(1_704_063_600_500_000_000)]);
    }

    #[test]
    fn precedence_and_parentheses() {
        let (text, _) = sql("status eq 'a' or status eq 'b' and not (status eq 'c')");
        assert_eq!(
            text,
            "(status = ? COLLATE NOCASE OR (status = ? COLLATE NOCASE AND (NOT status = ? COLLATE NOCASE)))"
        );
    }

    #[test]
    fn quotes_are_doubled_inside_strings() {
        let expr = parse("status eq 'it''s'").unwrap();
        assert!(matches!(expr, Expr::Compare { value: Literal::String(ref s), .. } if s == "it's"));
    }

    #[test]
    fn null_comparisons() {
        assert_eq!(sql("status eq null").0, "status IS NULL");
        assert_eq!(sql("status ne null").0, "status IS NOT NULL");
    }

    #[test]
    fn bad_input_names_the_problem() {
        assert!(error("title eq 'x'").contains("'title' cannot be filtered on"));
        assert!(error("status like 'x'").contains("'like' is not a supported operator"));
        assert!(error("status eq 'x").contains("not closed"));
        assert!(error("status eq 'x' and").contains("expected a property"));
        assert!(error("(status eq 'x'").contains("missing ')'"));
        assert!(error("status gt 'x'").contains("only eq and ne"));
        assert!(
            error("lastUpdateDateTime ge 'yesterday'").contains("'yesterday' is not a date-time")
        );
        assert!(error("lastUpdateDateTime ge 5").contains("takes a date-time"));
        assert!(error("status eq active").contains("'active' is not a value"));
        assert!(error("status eq 'a' )").contains("unexpected ')'"));
        assert!(error("").contains("expected a property"));
    }

    #[test]
    fn membership_binds_each_value_case_insensitively() {
        let (text, params) = sql("status in ('active','inProgress') and status IN ( 'x' )");
        assert_eq!(
            text,
            "(status COLLATE NOCASE IN (?, ?) AND status COLLATE NOCASE IN (?))"
        );
        assert_eq!(
            params,
            vec![
                Param::Text("active".into()),
                Param::Text("inProgress".into()),
                Param::Text("x".into())
            ]
        );
        let (negated, _) = sql("not (status in ('a', 'b'))");
        assert_eq!(negated, "(NOT status COLLATE NOCASE IN (?, ?))");
    }

    #[test]
    fn bad_membership_names_the_problem() {
        assert!(error("status in ()").contains("expected a value"));
        assert!(error("status in 'a'").contains("expected '(' after 'status in'"));
        assert!(error("status in ('a' 'b')").contains("expected ',' or ')'"));
        assert!(error("status in ('a',").contains("expected a value"));
        assert!(error("status in ('a', null)").contains("takes a quoted string, not null"));
        assert!(error("status in ('a', 5)").contains("takes a quoted string"));
        assert!(error("title in ('a')").contains("'title' cannot be filtered on"));
        assert!(
            error("lastUpdateDateTime in ('2024-01-01T00:00:00Z')")
                .contains("does not support 'in'")
        );
    }

    #[test]
    fn integers_take_every_operator_and_membership() {
        let (text, params) = sql("incidentNumber gt 5 and not (incidentNumber in (7, 9))");
        assert_eq!(text, "(number > ? AND (NOT number IN (?, ?)))");
        assert_eq!(
            params,
            vec![Param::Integer(5), Param::Integer(7), Param::Integer(9)]
        );
        assert_eq!(sql("incidentNumber le -3").1, vec![Param::Integer(-3)]);
        assert!(error("incidentNumber eq 1.5").contains("takes a whole number"));
        assert!(error("incidentNumber eq '1'").contains("takes a whole number"));
        assert!(error("incidentNumber in (1, 'a')").contains("takes a whole number"));
        assert!(error("incidentNumber eq 1e300").contains("takes a whole number"));
    }

    #[test]
    fn odata_v3_datetime_literals_read_as_instants() {
        let (text, params) = sql("lastUpdateDateTime gt datetime'2024-01-01T00:00:00Z'");
        assert_eq!(text, "last_update_ns > ?");
        assert_eq!(params, vec![Param::Integer(1_704_067_200_000_000_000)]);
        assert!(error("lastUpdateDateTime gt datetime'soon'").contains("datetime'soon'"));
        assert!(error("lastUpdateDateTime gt datetime").contains("quoted date-time"));
    }

    #[test]
    fn each_listed_value_counts_as_a_comparison() {
        let list = |n: usize| {
            let values = vec!["'a'"; n].join(",");
            format!("status in ({values})")
        };
        assert_eq!(sql(&list(MAX_FILTER_TERMS)).1.len(), MAX_FILTER_TERMS);
        assert!(error(&list(MAX_FILTER_TERMS + 1)).contains("more than 100 comparisons"));
        let mixed = format!("{} or {}", chained(50, " or "), list(51));
        assert!(error(&mixed).contains("more than 100 comparisons"));
        assert!(error(&list(100_000)).contains("more than 100 comparisons"));
    }

    fn nested(depth: usize, open: &str, close: &str) -> String {
        format!("{}status eq 'a'{}", open.repeat(depth), close.repeat(depth))
    }

    fn chained(terms: usize, joiner: &str) -> String {
        vec!["status eq 'a'"; terms].join(joiner)
    }

    #[test]
    fn nesting_is_bounded() {
        for (open, close) in [("(", ")"), ("not ", "")] {
            let at_limit = nested(MAX_FILTER_DEPTH, open, close);
            sql(&at_limit);
            let past = nested(MAX_FILTER_DEPTH + 1, open, close);
            assert!(error(&past).contains("more than 32 deep"), "{past}");
        }
        // Thousands of levels are refused without exhausting the stack.
        assert!(error(&nested(5_000, "not ", "")).contains("more than 32 deep"));
        assert!(error(&nested(3_000, "(", ")")).contains("more than 32 deep"));
    }

    #[test]
    fn comparisons_are_bounded() {
        for joiner in [" or ", " and "] {
            let (text, params) = sql(&chained(MAX_FILTER_TERMS, joiner));
            assert_eq!(params.len(), MAX_FILTER_TERMS);
            assert!(text.len() > MAX_FILTER_TERMS);
            let past = chained(MAX_FILTER_TERMS + 1, joiner);
            assert!(error(&past).contains("more than 100 comparisons"));
        }
        assert!(error(&chained(10_000, " or ")).contains("more than 100 comparisons"));
    }

    proptest::proptest! {
        /// Any mix of nesting and chaining parses exactly when it stays within both bounds.
        #[test]
        fn bounds_decide_acceptance(
            depth in 0..=MAX_FILTER_DEPTH + 2,
            terms in 1..=MAX_FILTER_TERMS + 2,
            use_not in proptest::bool::ANY,
        ) {
            let (open, close) = if use_not { ("not (", ")") } else { ("(", ")") };
            let text = format!(
                "{}{}{}",
                open.repeat(depth),
                chained(terms, " or "),
                close.repeat(depth)
            );
            let levels = if use_not { 2 * depth } else { depth };
            let within = levels <= MAX_FILTER_DEPTH && terms <= MAX_FILTER_TERMS;
            proptest::prop_assert_eq!(parse(&text).is_ok(), within);
        }
    }
}
