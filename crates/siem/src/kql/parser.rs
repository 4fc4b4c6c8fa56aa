//! A recursive-descent parser from tokens to the [`Query`] tree.
//!
//! Anything outside the supported subset is refused with [`KqlError::Unsupported`], which names the
//! operator or function, rather than being misread as something else.
//!
//! Any reader may send a query, so the tree it builds stays shallow whatever the text: nesting
//! (parentheses and function calls) stops at [`MAX_NESTING`], and `and`/`or` may join at most
//! [`MAX_TERMS`] terms, each with a [`KqlError::Limit`]. A chain of terms becomes a balanced tree, so
//! even the longest nests only ten deep when the tree is evaluated or dropped.

use super::KqlError;
use super::ast::{CompareOp, Expr, Literal, Operator, Query, SortKey};
use super::lexer::{Token, TokenKind, tokenize};

/// The tabular operators the engine runs.
const SUPPORTED_OPERATORS: &str =
    "where, project, take, limit, order by, sort by, summarize count()";

/// How deeply parentheses and function calls may nest in one expression.
pub const MAX_NESTING: usize = 64;

/// How many terms `and` and `or` may join in one query.
pub const MAX_TERMS: usize = 1_000;

/// Parses query text into a [`Query`].
pub fn parse(text: &str) -> Result<Query, KqlError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        terms: 0,
    };
    parser.query()
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Parentheses and calls open around the current token.
    depth: usize,
    /// Terms joined by `and` or `or` so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> &TokenKind {
        &self.tokens[self.pos].kind
    }

    fn peek_at(&self, ahead: usize) -> &TokenKind {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + ahead).min(last)].kind
    }

    fn offset(&self) -> usize {
        self.tokens[self.pos].offset
    }

    fn advance(&mut self) -> TokenKind {
        let kind = self.tokens[self.pos].kind.clone();
        if kind != TokenKind::End {
            self.pos += 1;
        }
        kind
    }

    fn syntax(&self, message: impl Into<String>) -> KqlError {
        KqlError::Syntax {
            offset: self.offset(),
            message: message.into(),
        }
    }

    fn describe(kind: &TokenKind) -> String {
        match kind {
            TokenKind::Ident(s) => format!("'{s}'"),
            TokenKind::Str(s) => format!("string '{s}'"),
            TokenKind::Long(n) => n.to_string(),
            TokenKind::Real(n) => n.to_string(),
            TokenKind::Timespan(s) => format!("timespan of {s}s"),
            TokenKind::DatetimeText(t) => format!("datetime({t})"),
            TokenKind::Pipe => "'|'".into(),
            TokenKind::Comma => "','".into(),
            TokenKind::LParen => "'('".into(),
            TokenKind::RParen => "')'".into(),
            TokenKind::Semicolon => "';'".into(),
            TokenKind::Symbol(s) => format!("'{s}'"),
            TokenKind::Bang => "'!'".into(),
            TokenKind::End => "the end of the query".into(),
        }
    }

    fn expect(&mut self, want: &TokenKind, what: &str) -> Result<(), KqlError> {
        if self.peek() == want {
            self.advance();
            Ok(())
        } else {
            Err(self.syntax(format!(
                "expected {what}, found {}",
                Self::describe(self.peek())
            )))
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, KqlError> {
        match self.peek().clone() {
            TokenKind::Ident(name) => {
                self.advance();
                Ok(name)
            }
            other => Err(self.syntax(format!("expected {what}, found {}", Self::describe(&other)))),
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), TokenKind::Ident(w) if w == word) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn query(&mut self) -> Result<Query, KqlError> {
        if self.keyword("let") {
            return Err(KqlError::Unsupported("the 'let' statement".into()));
        }
        let table = self.ident("a table name")?;
        let mut operators = Vec::new();
        while *self.peek() == TokenKind::Pipe {
            self.advance();
            operators.push(self.operator()?);
        }
        match self.peek() {
            TokenKind::End => Ok(Query { table, operators }),
            other => Err(self.syntax(format!(
                "expected '|' or the end of the query, found {}",
                Self::describe(other)
            ))),
        }
    }

    fn operator(&mut self) -> Result<Operator, KqlError> {
        let name = self.ident("an operator after '|'")?;
        match name.as_str() {
            "where" | "filter" => Ok(Operator::Where(self.expr()?)),
            "project" => Ok(Operator::Project(self.column_list()?)),
            "take" | "limit" => self.take(),
            "order" | "sort" => self.sort(),
            "summarize" => self.summarize(),
            // `T | count` is `T | summarize Count = count()`.
            "count" => Ok(Operator::Summarize {
                count_column: "Count".to_owned(),
                by: Vec::new(),
            }),
            other => Err(KqlError::Unsupported(format!(
                "the operator '{other}' (supported: {SUPPORTED_OPERATORS})"
            ))),
        }
    }

    fn column_list(&mut self) -> Result<Vec<String>, KqlError> {
        let mut columns = vec![self.plain_column()?];
        while *self.peek() == TokenKind::Comma {
            self.advance();
            columns.push(self.plain_column()?);
        }
        Ok(columns)
    }

    fn plain_column(&mut self) -> Result<String, KqlError> {
        let name = self.ident("a column name")?;
        match self.peek() {
            TokenKind::Symbol("=") => Err(KqlError::Unsupported(format!(
                "computed columns ('{name} = ...'); list existing columns only"
            ))),
            TokenKind::LParen => Err(KqlError::Unsupported(format!(
                "the function '{name}' here; list existing columns only"
            ))),
            _ => Ok(name),
        }
    }

    fn take(&mut self) -> Result<Operator, KqlError> {
        match self.advance() {
            TokenKind::Long(n) if n >= 0 => {
                Ok(Operator::Take(usize::try_from(n).unwrap_or(usize::MAX)))
            }
            other => Err(self.syntax(format!(
                "expected a row count after take/limit, found {}",
                Self::describe(&other)
            ))),
        }
    }

    fn sort(&mut self) -> Result<Operator, KqlError> {
        if !self.keyword("by") {
            return Err(self.syntax("expected 'by' after order/sort"));
        }
        let mut keys = Vec::new();
        loop {
            let column = self.plain_column()?;
            let ascending = if self.keyword("asc") {
                true
            } else {
                self.keyword("desc");
                false
            };
            keys.push(SortKey { column, ascending });
            if *self.peek() != TokenKind::Comma {
                return Ok(Operator::Sort(keys));
            }
            self.advance();
        }
    }

    fn summarize(&mut self) -> Result<Operator, KqlError> {
        let count_column = match (self.peek().clone(), self.peek_at(1)) {
            (TokenKind::Ident(name), TokenKind::Symbol("=")) => {
                self.pos += 2;
                name
            }
            _ => "count_".to_owned(),
        };
        let function = self.ident("an aggregation such as count()")?;
        if function != "count" {
            return Err(KqlError::Unsupported(format!(
                "the aggregation function '{function}' (only count() is supported)"
            )));
        }
        self.expect(&TokenKind::LParen, "'(' after count")?;
        self.expect(&TokenKind::RParen, "')' (count() takes no arguments)")?;
        if *self.peek() == TokenKind::Comma {
            return Err(KqlError::Unsupported(
                "more than one aggregation (only a single count() is supported)".into(),
            ));
        }
        let by = if self.keyword("by") {
            self.column_list()?
        } else {
            Vec::new()
        };
        Ok(Operator::Summarize { count_column, by })
    }

    fn expr(&mut self) -> Result<Expr, KqlError> {
        let mut terms = vec![self.and_expr()?];
        while self.keyword("or") {
            self.count_term()?;
            terms.push(self.and_expr()?);
        }
        Ok(balanced(terms, Expr::Or))
    }

    fn and_expr(&mut self) -> Result<Expr, KqlError> {
        let mut terms = vec![self.comparison()?];
        while self.keyword("and") {
            self.count_term()?;
            terms.push(self.comparison()?);
        }
        Ok(balanced(terms, Expr::And))
    }

    /// Counts one more term joined by `and` or `or`, refusing to pass [`MAX_TERMS`].
    fn count_term(&mut self) -> Result<(), KqlError> {
        self.terms += 1;
        if self.terms >= MAX_TERMS {
            return Err(KqlError::Limit(format!(
                "the query joins more than {MAX_TERMS} terms with 'and' and 'or' (at offset {})",
                self.offset()
            )));
        }
        Ok(())
    }

    /// Opens one more level of nesting at the current token, refusing to pass [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), KqlError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(KqlError::Limit(format!(
                "the expression at offset {} nests parentheses and calls more than {MAX_NESTING} deep",
                self.offset()
            )));
        }
        Ok(())
    }

    fn comparison(&mut self) -> Result<Expr, KqlError> {
        let left = self.primary()?;
        let negated = *self.peek() == TokenKind::Bang;
        if negated {
            self.advance();
        }
        let op = match self.peek().clone() {
            TokenKind::Symbol(symbol) if !negated => symbol_op(symbol, self)?,
            TokenKind::Ident(word) => match word_op(&word, negated) {
                WordOp::Compare(op) => op,
                WordOp::In => {
                    self.advance();
                    return self.in_list(left, negated);
                }
                WordOp::Unsupported => {
                    return Err(KqlError::Unsupported(format!(
                        "the operator '{}{word}'",
                        if negated { "!" } else { "" }
                    )));
                }
                WordOp::NotAnOperator if !negated => return Ok(left),
                WordOp::NotAnOperator => {
                    return Err(self.syntax(format!("unknown operator '!{word}'")));
                }
            },
            _ if negated => return Err(self.syntax("expected an operator after '!'")),
            _ => return Ok(left),
        };
        self.advance();
        let right = self.primary()?;
        Ok(Expr::Compare {
            op,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn in_list(&mut self, value: Expr, negated: bool) -> Result<Expr, KqlError> {
        self.expect(&TokenKind::LParen, "'(' after in")?;
        let mut list = vec![self.primary()?];
        while *self.peek() == TokenKind::Comma {
            self.advance();
            list.push(self.primary()?);
        }
        self.expect(&TokenKind::RParen, "')' closing the in list")?;
        Ok(Expr::In {
            value: Box::new(value),
            list,
            negated,
        })
    }

    fn primary(&mut self) -> Result<Expr, KqlError> {
        let literal = match self.advance() {
            TokenKind::LParen => {
                self.enter()?;
                let inner = self.expr()?;
                self.depth -= 1;
                self.expect(&TokenKind::RParen, "')'")?;
                return Ok(inner);
            }
            TokenKind::Ident(name) if *self.peek() == TokenKind::LParen => return self.call(&name),
            TokenKind::Ident(name) => match name.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "null" => Literal::Null,
                _ => return Ok(Expr::Column(name)),
            },
            TokenKind::Str(s) => Literal::Str(s),
            TokenKind::Long(n) => Literal::Long(n),
            TokenKind::Real(n) => Literal::Real(n),
            TokenKind::Timespan(s) => Literal::Timespan(s),
            TokenKind::DatetimeText(t) => Literal::Datetime(t),
            other => {
                self.pos -= usize::from(other != TokenKind::End);
                return Err(self.syntax(format!(
                    "expected a value or column, found {}",
                    Self::describe(&other)
                )));
            }
        };
        Ok(Expr::Literal(literal))
    }

    fn call(&mut self, name: &str) -> Result<Expr, KqlError> {
        self.expect(&TokenKind::LParen, "'('")?;
        self.enter()?;
        let expr = self.call_body(name)?;
        self.depth -= 1;
        self.expect(&TokenKind::RParen, &format!("')' closing {name}("))?;
        Ok(expr)
    }

    fn call_body(&mut self, name: &str) -> Result<Expr, KqlError> {
        Ok(match name {
            "ago" => Expr::Ago(Box::new(self.expr()?)),
            "not" => Expr::Not(Box::new(self.expr()?)),
            "now" => Expr::Now,
            other => {
                return Err(KqlError::Unsupported(format!(
                    "the function '{other}' (supported: ago, now, not)"
                )));
            }
        })
    }
}

/// Joins `terms` with `join` as a balanced tree: `and` and `or` are associative, and a balanced tree
/// of n terms is only log2(n) deep.
fn balanced(mut terms: Vec<Expr>, join: fn(Box<Expr>, Box<Expr>) -> Expr) -> Expr {
    if terms.len() == 1 {
        return terms.remove(0);
    }
    let right = terms.split_off(terms.len() / 2);
    join(
        Box::new(balanced(terms, join)),
        Box::new(balanced(right, join)),
    )
}

enum WordOp {
    Compare(CompareOp),
    In,
    Unsupported,
    NotAnOperator,
}

fn symbol_op(symbol: &str, parser: &Parser) -> Result<CompareOp, KqlError> {
    Ok(match symbol {
        "==" => CompareOp::Eq,
        "!=" => CompareOp::Ne,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        ">" => CompareOp::Gt,
        ">=" => CompareOp::Ge,
        "=~" => CompareOp::EqIgnoreCase,
        "!~" => CompareOp::NeIgnoreCase,
        _ => return Err(parser.syntax(format!("'{symbol}' is not a comparison; use '=='"))),
    })
}

/// String operators KQL has that this engine does not run yet; named in the error rather than
/// reported as a syntax error.
const UNSUPPORTED_WORD_OPERATORS: [&str; 13] = [
    "startswith",
    "endswith",
    "matches",
    "between",
    "has_any",
    "has_all",
    "contains_cs",
    "has_cs",
    "startswith_cs",
    "endswith_cs",
    "hasprefix",
    "hassuffix",
    "like",
];

fn word_op(word: &str, negated: bool) -> WordOp {
    match (word, negated) {
        ("contains", false) => WordOp::Compare(CompareOp::Contains),
        ("contains", true) => WordOp::Compare(CompareOp::NotContains),
        ("has", false) => WordOp::Compare(CompareOp::Has),
        ("has", true) => WordOp::Compare(CompareOp::NotHas),
        ("in", _) => WordOp::In,
        _ if UNSUPPORTED_WORD_OPERATORS.contains(&word) => WordOp::Unsupported,
        _ => WordOp::NotAnOperator,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str) -> Box<Expr> {
        Box::new(Expr::Column(name.into()))
    }

    #[test]
    fn parses_a_full_pipeline() {
        let query = parse(
            "SecurityIncident | where (Severity == 'High' or Severity in ('Medium', 'Low')) and TimeGenerated > ago(2h) \
             | project IncidentNumber, Title | sort by IncidentNumber asc, Title | take 5",
        )
        .unwrap();
        assert_eq!(query.table, "SecurityIncident");
        assert_eq!(query.operators.len(), 4);
        let Operator::Where(Expr::And(left, right)) = &query.operators[0] else {
            panic!("{:?}", query.operators[0]);
        };
        assert!(matches!(**left, Expr::Or(..)));
        assert_eq!(
            **right,
            Expr::Compare {
                op: CompareOp::Gt,
                left: col("TimeGenerated"),
                right: Box::new(Expr::Ago(Box::new(Expr::Literal(Literal::Timespan(
                    7200.0
                ))))),
            }
        );
        assert_eq!(
            query.operators[2],
            Operator::Sort(vec![
                SortKey {
                    column: "IncidentNumber".into(),
                    ascending: true
                },
                SortKey {
                    column: "Title".into(),
                    ascending: false
                },
            ])
        );
        assert_eq!(query.operators[3], Operator::Take(5));
    }

    #[test]
    fn parses_summarize_with_and_without_a_name() {
        let query = parse("T | summarize count() by A, B").unwrap();
        assert_eq!(
            query.operators[0],
            Operator::Summarize {
                count_column: "count_".into(),
                by: vec!["A".into(), "B".into()]
            }
        );
        let query = parse("T | count").unwrap();
        assert_eq!(
            query.operators[0],
            Operator::Summarize {
                count_column: "Count".into(),
                by: vec![]
            }
        );
        let query = parse("T | summarize N = count()").unwrap();
        assert_eq!(
            query.operators[0],
            Operator::Summarize {
                count_column: "N".into(),
                by: vec![]
            }
        );
    }

    #[test]
    fn names_what_is_not_supported() {
        let cases = [
            ("T | extend X = 1", "extend"),
            ("T | where strlen(A) > 1", "strlen"),
            ("T | summarize sum(A) by B", "sum"),
            ("T | where A startswith 'x'", "startswith"),
            ("let x = 1; T", "let"),
        ];
        for (text, name) in cases {
            match parse(text) {
                Err(KqlError::Unsupported(message)) => assert!(message.contains(name), "{message}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn reports_syntax_errors() {
        for text in [
            "T |",
            "T | where",
            "T | where (A == 1",
            "T | take x",
            "| T",
            "T T",
        ] {
            assert!(
                matches!(parse(text), Err(KqlError::Syntax { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn negated_word_operators() {
        let query = parse("T | where A !contains 'x' and B !in (1, 2) and C !has 'y'").unwrap();
        let Operator::Where(expr) = &query.operators[0] else {
            panic!()
        };
        let text = format!("{expr:?}");
        assert!(
            text.contains("NotContains")
                && text.contains("negated: true")
                && text.contains("NotHas")
        );
    }
}
