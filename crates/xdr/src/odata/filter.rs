//! The `$filter` query option: a tokenizer, a small AST and its translation to an SQL condition with
//! bound parameters.
//!
//! The grammar is the subset of OData the Graph security API documents, written so that new operators
//! and functions slot in: comparisons (`eq ne gt ge lt le`) of a property with a literal, combined with
//! `and`, `or`, `not` and parentheses. Literals are `'strings'` (quotes doubled inside), bare
//! date-times (`2024-01-01T00:00:00Z`), numbers, `true`, `false` and `null`.

use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;

use crate::odata::QueryError;

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

/// Parses `$filter` text.
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.or_expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(filter_error(format!("unexpected '{}'", token.text()))),
    }
}

/// Translates an expression into an SQL condition with `?` placeholders and the values to bind.
pub fn to_sql(expr: &Expr, fields: &[FilterField]) -> Result<(String, Vec<SqlValue>), QueryError> {
    let mut params = Vec::new();
    let sql = write_sql(expr, fields, &mut params)?;
    Ok((sql, params))
}

fn write_sql(
    expr: &Expr,
    fields: &[FilterField],
    params: &mut Vec<SqlValue>,
) -> Result<String, QueryError> {
    Ok(match expr {
        Expr::And(a, b) => format!(
            "({} AND {})",
            write_sql(a, fields, params)?,
            write_sql(b, fields, params)?
        ),
        Expr::Or(a, b) => format!(
            "({} OR {})",
            write_sql(a, fields, params)?,
            write_sql(b, fields, params)?
        ),
        Expr::Not(a) => format!("(NOT {})", write_sql(a, fields, params)?),
        Expr::Compare {
            property,
            op,
            value,
        } => compare_sql(property, *op, value, fields, params)?,
    })
}

fn compare_sql(
    property: &str,
    op: CompareOp,
    value: &Literal,
    fields: &[FilterField],
    params: &mut Vec<SqlValue>,
) -> Result<String, QueryError> {
    let field = fields
        .iter()
        .find(|f| f.property.eq_ignore_ascii_case(property))
        .ok_or_else(|| {
            let known: Vec<&str> = fields.iter().map(|f| f.property).collect();
            filter_error(format!(
                "property '{property}' cannot be filtered on; use one of {}",
                known.join(", ")
            ))
        })?;
    if *value == Literal::Null {
        return match op {
            CompareOp::Eq => Ok(format!("{} IS NULL", field.column)),
            CompareOp::Ne => Ok(format!("{} IS NOT NULL", field.column)),
            _ => Err(filter_error(format!(
                "'{property}' cannot be ordered against null"
            ))),
        };
    }
    let bound = match field.kind {
        FieldKind::Timestamp => timestamp_param(property, value)?,
        FieldKind::Text => text_param(property, op, value)?,
    };
    params.push(bound);
    let collate = if field.kind == FieldKind::Text {
        " COLLATE NOCASE"
    } else {
        ""
    };
    Ok(format!("{} {} ?{collate}", field.column, op.sql()))
}

fn timestamp_param(property: &str, value: &Literal) -> Result<SqlValue, QueryError> {
    let instant = match value {
        Literal::DateTime(t) => *t,
        Literal::String(s) => crate::clock::parse_instant(s)
            .ok_or_else(|| filter_error(format!("'{s}' is not a date-time for '{property}'")))?,
        other => {
            return Err(filter_error(format!(
                "'{property}' takes a date-time, not {}",
                describe(other)
            )));
        }
    };
    crate::clock::to_nanos(instant)
        .map(SqlValue::Integer)
        .ok_or_else(|| filter_error(format!("date-time for '{property}' is out of range")))
}

fn text_param(property: &str, op: CompareOp, value: &Literal) -> Result<SqlValue, QueryError> {
    if !op.is_equality() {
        return Err(filter_error(format!(
            "'{property}' supports only eq and ne"
        )));
    }
    match value {
        Literal::String(s) => Ok(SqlValue::Text(s.clone())),
        other => Err(filter_error(format!(
            "'{property}' takes a quoted string, not {}",
            describe(other)
        ))),
    }
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
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::Str(s) => format!("'{s}'"),
            Token::Open => "(".to_owned(),
            Token::Close => ")".to_owned(),
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
            '\'' => {
                chars.next();
                tokens.push(Token::Str(quoted(&mut chars, start)?));
            }
            _ => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '\'' {
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
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or_expr()?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err(filter_error("missing ')'".to_owned())),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
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
            Some(Token::Word(w)) => CompareOp::from_keyword(&w).ok_or_else(|| {
                filter_error(format!(
                    "'{w}' is not a supported operator; use eq, ne, gt, ge, lt or le"
                ))
            })?,
            _ => {
                return Err(filter_error(format!(
                    "expected an operator after '{property}'"
                )));
            }
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Literal::String(s),
            Some(Token::Word(w)) => literal(&w)?,
            _ => return Err(filter_error(format!("expected a value after '{property}'"))),
        };
        Ok(Expr::Compare {
            property,
            op,
            value,
        })
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
    if let Some(instant) = word
        .contains('T')
        .then(|| crate::clock::parse_instant(word))
        .flatten()
    {
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
    ];

    fn sql(text: &str) -> (String, Vec<SqlValue>) {
        to_sql(&parse(text).unwrap(), FIELDS).unwrap()
    }

    fn error(text: &str) -> String {
        match parse(text).and_then(|e| to_sql(&e, FIELDS)) {
            Ok(found) => panic!("{text} was accepted as {found:?}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn equality_on_text_is_case_insensitive() {
        let (text, params) = sql("status eq 'Active'");
        assert_eq!(text, "status = ? COLLATE NOCASE");
        assert_eq!(params, vec![SqlValue::Text("Active".into())]);
    }

    #[test]
    fn timestamps_bind_as_nanoseconds() {
        let (both, params) =
            sql("lastUpdateDateTime ge 2024-01-01T00:00:00Z and status eq 'active'");
        assert_eq!(both, "(last_update_ns >= ? AND status = ? COLLATE NOCASE)");
        assert_eq!(params[0], SqlValue::Integer(1_704_067_200_000_000_000));
        let (_, quoted) = sql("lastUpdateDateTime lt '2024-01-01T00:00:00.5+01:00'");
        assert_eq!(quoted, vec![SqlValue::Integer(1_704_063_600_500_000_000)]);
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
}
