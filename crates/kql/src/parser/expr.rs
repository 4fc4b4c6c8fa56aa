//! Scalar expressions: precedence from `or` down to literals, KQL's string and set operators
//! (`has`, `!contains`, `in~`, `between`), and the typed literal forms (`datetime(...)`,
//! `dynamic([...])`, `int(null)`).

use serde_json::Value;

use super::{MAX_CHAIN, MAX_TERMS, Parser};
use crate::ast::{BinaryOp, Expr, ExprKind, Literal};
use crate::error::KqlError;
use crate::lexer::TokenKind;
use crate::literal::{format_datetime, format_timespan, parse_datetime, parse_timespan};
use crate::types::KqlType;

/// String operators, each named as the function it resolves to.
const STRING_OPERATORS: [&str; 14] = [
    "has",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "contains",
    "contains_cs",
    "startswith",
    "startswith_cs",
    "endswith",
    "endswith_cs",
    "has_any",
    "has_all",
];

/// Comparison symbols and their operators.
const COMPARISONS: [(&str, BinaryOp); 9] = [
    ("==", BinaryOp::Equal),
    ("!=", BinaryOp::NotEqual),
    ("<>", BinaryOp::NotEqual),
    ("=~", BinaryOp::EqualCi),
    ("!~", BinaryOp::NotEqualCi),
    ("<=", BinaryOp::LessEqual),
    (">=", BinaryOp::GreaterEqual),
    ("<", BinaryOp::Less),
    (">", BinaryOp::Greater),
];

impl Parser {
    /// A scalar expression.
    pub(super) fn expr(&mut self) -> Result<Expr, KqlError> {
        self.nested(Self::or)
    }

    /// A scalar expression, or a pipeline where one may stand (`let T = X | where ...`,
    /// `in (T | project y)`, `toscalar(T | count)`).
    pub(super) fn expr_or_pipeline(&mut self) -> Result<Expr, KqlError> {
        let offset = self.offset();
        if self.at_source_keyword() {
            let pipeline = self.pipeline()?;
            return Ok(Expr::new(ExprKind::Pipeline(Box::new(pipeline)), offset));
        }
        let expr = self.expr()?;
        if !self.at_punct("|") {
            return Ok(expr);
        }
        let source = self.source_of(expr)?;
        let pipeline = self.nested(|p| p.operators_after(source))?;
        Ok(Expr::new(ExprKind::Pipeline(Box::new(pipeline)), offset))
    }

    fn or(&mut self) -> Result<Expr, KqlError> {
        self.logical_chain("or", BinaryOp::Or, Self::and)
    }

    fn and(&mut self) -> Result<Expr, KqlError> {
        self.logical_chain("and", BinaryOp::And, Self::predicate)
    }

    /// `operand (word operand)*`, counted against [`MAX_TERMS`] and built as a balanced tree.
    fn logical_chain(
        &mut self,
        word: &str,
        op: BinaryOp,
        operand: fn(&mut Self) -> Result<Expr, KqlError>,
    ) -> Result<Expr, KqlError> {
        let mut operands = vec![operand(self)?];
        while self.eat_word(word) {
            self.terms += 1;
            if self.terms >= MAX_TERMS {
                return Err(KqlError::Limit(format!(
                    "query: holds more than {MAX_TERMS} 'and'/'or' terms (at offset {})",
                    self.offset()
                )));
            }
            operands.push(operand(self)?);
        }
        Ok(balanced(op, operands))
    }

    /// A comparison, string operator, `in` or `between`, or a plain arithmetic expression.
    fn predicate(&mut self) -> Result<Expr, KqlError> {
        let left = self.additive()?;
        let offset = self.offset();
        if let TokenKind::Punct(symbol) = self.kind_at(0)
            && let Some((_, op)) = COMPARISONS.iter().find(|(s, _)| s == symbol)
        {
            self.advance();
            let right = self.additive()?;
            return Ok(binary(*op, left, right, offset));
        }
        let bang = self.at_punct("!") && matches!(self.kind_at(1), TokenKind::Ident(_));
        let word = match self.kind_at(usize::from(bang)) {
            TokenKind::Ident(word) => word.clone(),
            _ => return Ok(left),
        };
        let (negated, word) = match word.strip_prefix("not") {
            Some(rest) if !bang && matches!(rest, "contains" | "contains_cs" | "between") => {
                (true, rest.to_owned())
            }
            _ => (bang, word),
        };
        let skip = 1 + usize::from(bang);
        let value = Box::new(left);
        let kind = match word.as_str() {
            "in" | "in~" => {
                self.pos += skip;
                ExprKind::In {
                    value,
                    list: self.parenthesised_list()?,
                    case_insensitive: word == "in~",
                    negated,
                }
            }
            "between" => {
                self.pos += skip;
                self.expect_punct("(")?;
                let low = Box::new(self.additive()?);
                self.expect_punct("..")?;
                let high = Box::new(self.additive()?);
                self.expect_punct(")")?;
                ExprKind::Between {
                    value,
                    low,
                    high,
                    negated,
                }
            }
            "matches" if !negated && self.word_at(1, "regex") => {
                self.pos += 2;
                ExprKind::StringOp {
                    name: "matches_regex".to_owned(),
                    negated,
                    left: value,
                    right: vec![self.additive()?],
                }
            }
            op if STRING_OPERATORS.contains(&op) => {
                self.pos += skip;
                let right = if matches!(op, "has_any" | "has_all") && self.at_punct("(") {
                    self.parenthesised_list()?
                } else {
                    vec![self.additive()?]
                };
                ExprKind::StringOp {
                    name: op.to_owned(),
                    negated,
                    left: value,
                    right,
                }
            }
            _ => return Ok(*value),
        };
        Ok(Expr::new(kind, offset))
    }

    /// `(a, b, c)` or `(T | project x)`.
    fn parenthesised_list(&mut self) -> Result<Vec<Expr>, KqlError> {
        self.expect_punct("(")?;
        let mut items = Vec::new();
        while !self.eat_punct(")") {
            if !items.is_empty() {
                self.expect_punct(",")?;
            }
            items.push(self.nested(Self::expr_or_pipeline)?);
        }
        Ok(items)
    }

    pub(super) fn additive(&mut self) -> Result<Expr, KqlError> {
        self.arithmetic_chain(
            &[("+", BinaryOp::Add), ("-", BinaryOp::Subtract)],
            Self::multiplicative,
        )
    }

    fn multiplicative(&mut self) -> Result<Expr, KqlError> {
        self.arithmetic_chain(
            &[
                ("*", BinaryOp::Multiply),
                ("/", BinaryOp::Divide),
                ("%", BinaryOp::Modulo),
            ],
            Self::unary,
        )
    }

    /// A left-associative chain of `operators`, at most [`MAX_CHAIN`] operands long.
    fn arithmetic_chain(
        &mut self,
        operators: &[(&str, BinaryOp)],
        operand: fn(&mut Self) -> Result<Expr, KqlError>,
    ) -> Result<Expr, KqlError> {
        let mut left = operand(self)?;
        for length in 1.. {
            let offset = self.offset();
            let Some((_, op)) = operators.iter().find(|(s, _)| self.at_punct(s)) else {
                break;
            };
            if length >= MAX_CHAIN {
                return Err(KqlError::Limit(format!(
                    "query: an arithmetic chain holds more than {MAX_CHAIN} operands (at offset {offset})"
                )));
            }
            self.advance();
            let right = operand(self)?;
            left = binary(*op, left, right, offset);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, KqlError> {
        let offset = self.offset();
        if self.eat_punct("-") {
            let operand = self.nested(Self::unary)?;
            return Ok(match operand.kind {
                ExprKind::Literal(Literal::Long(n)) => literal(Literal::Long(-n), offset),
                ExprKind::Literal(Literal::Real(n)) => literal(Literal::Real(-n), offset),
                ExprKind::Literal(Literal::Timespan(n)) => literal(Literal::Timespan(-n), offset),
                _ => Expr::new(ExprKind::Negate(Box::new(operand)), offset),
            });
        }
        if self.eat_punct("+") {
            return self.nested(Self::unary);
        }
        self.postfix()
    }

    /// A primary expression followed by `.member`, `[index]` and calls.
    fn postfix(&mut self) -> Result<Expr, KqlError> {
        let mut expr = self.primary()?;
        loop {
            let offset = self.offset();
            if self.at_punct(".") && !self.punct_at(1, ".") {
                self.advance();
                let key = if self.at_punct("[") {
                    self.name()?
                } else {
                    self.member_name()?
                };
                expr = Expr::new(ExprKind::Member(Box::new(expr), key), offset);
            } else if self.at_punct("[") {
                self.advance();
                let index = self.expr()?;
                self.expect_punct("]")?;
                expr = Expr::new(ExprKind::Index(Box::new(expr), Box::new(index)), offset);
            } else {
                return Ok(expr);
            }
        }
    }

    /// The name after `.`: any word, or digits.
    fn member_name(&mut self) -> Result<String, KqlError> {
        match self.kind_at(0).clone() {
            TokenKind::Ident(word) => {
                self.advance();
                Ok(word)
            }
            TokenKind::Long(n) => {
                self.advance();
                Ok(n.to_string())
            }
            TokenKind::Raw { keyword, .. } => self.error(format!(
                "'{keyword}' after '.' is read as a literal; write ['{keyword}']"
            )),
            _ => self.error(format!("expected a name after '.', found {}", self.found())),
        }
    }

    fn primary(&mut self) -> Result<Expr, KqlError> {
        let offset = self.offset();
        let token = self.kind_at(0).clone();
        let lit = |value| Ok(literal(value, offset));
        match token {
            TokenKind::Long(n) => {
                self.advance();
                lit(Literal::Long(n))
            }
            TokenKind::Real(n) => {
                self.advance();
                lit(Literal::Real(n))
            }
            TokenKind::Timespan(n) => {
                self.advance();
                lit(Literal::Timespan(n))
            }
            TokenKind::Str(_) => lit(Literal::String(self.adjacent_strings())),
            TokenKind::Raw { keyword, text } => {
                self.advance();
                raw_literal(&keyword, &text, offset).map(|value| literal(value, offset))
            }
            TokenKind::Punct("(") => self.parenthesised(),
            TokenKind::Punct("[") => Ok(Expr::new(ExprKind::Name(self.name()?), offset)),
            TokenKind::Punct("*") => {
                self.advance();
                Ok(Expr::new(ExprKind::Star, offset))
            }
            TokenKind::Ident(word) => self.word_expr(word, offset),
            _ => self.error(format!("expected an expression, found {}", self.found())),
        }
    }

    /// `"a" "b"`: adjacent string literals are one.
    pub(super) fn adjacent_strings(&mut self) -> String {
        let mut text = String::new();
        while let TokenKind::Str(part) = self.kind_at(0) {
            text.push_str(part);
            self.advance();
        }
        text
    }

    /// `(expr)` or `(pipeline)`.
    fn parenthesised(&mut self) -> Result<Expr, KqlError> {
        self.expect_punct("(")?;
        let expr = self.nested(Self::expr_or_pipeline)?;
        self.expect_punct(")")?;
        Ok(expr)
    }

    fn word_expr(&mut self, word: String, offset: usize) -> Result<Expr, KqlError> {
        self.advance();
        let lower = word.to_ascii_lowercase();
        if matches!(lower.as_str(), "true" | "false") {
            return Ok(literal(Literal::Bool(lower == "true"), offset));
        }
        if !self.at_punct("(") {
            return Ok(Expr::new(ExprKind::Name(word), offset));
        }
        if word == "dynamic" {
            self.advance();
            let value = self.nested(Self::json_value)?;
            self.expect_punct(")")?;
            let text = if value.is_null() {
                return Ok(literal(Literal::Null(KqlType::Dynamic), offset));
            } else {
                value.to_string()
            };
            return Ok(literal(Literal::Dynamic(text), offset));
        }
        if let Some(kind) = typed_literal_type(&lower) {
            self.advance();
            let value = self.typed_literal(kind)?;
            self.expect_punct(")")?;
            return Ok(literal(value, offset));
        }
        self.advance();
        let mut args = Vec::new();
        while !self.eat_punct(")") {
            if !args.is_empty() {
                self.expect_punct(",")?;
            }
            if matches!(self.kind_at(0), TokenKind::Ident(_)) && self.punct_at(1, "=") {
                self.pos += 2;
            }
            args.push(self.expr_or_pipeline()?);
        }
        Ok(Expr::new(ExprKind::Call { name: word, args }, offset))
    }

    /// The inside of `int(...)`, `long(...)`, `real(...)`, `bool(...)`, `string(...)`.
    fn typed_literal(&mut self, kind: KqlType) -> Result<Literal, KqlError> {
        if self.eat_word("null") {
            return Ok(Literal::Null(kind));
        }
        let offset = self.offset();
        let value = self.expr()?;
        let ExprKind::Literal(value) = value.kind else {
            return Err(KqlError::Syntax {
                offset,
                message: format!("{kind}(...) takes a literal"),
            });
        };
        let converted = match (kind, value) {
            (KqlType::Int, Literal::Long(n)) => i32::try_from(n).ok().map(Literal::Int),
            (KqlType::Long, Literal::Long(n)) => Some(Literal::Long(n)),
            (KqlType::Real, Literal::Long(n)) => Some(Literal::Real(n as f64)),
            (KqlType::Real, Literal::Real(n)) => Some(Literal::Real(n)),
            (KqlType::Bool, Literal::Bool(b)) => Some(Literal::Bool(b)),
            (KqlType::String, Literal::String(s)) => Some(Literal::String(s)),
            _ => None,
        };
        converted.ok_or_else(|| KqlError::Syntax {
            offset,
            message: format!("not a {kind} literal"),
        })
    }

    /// A JSON value inside `dynamic(...)`, with KQL literals (datetimes, timespans) as strings.
    fn json_value(&mut self) -> Result<Value, KqlError> {
        let offset = self.offset();
        match self.kind_at(0).clone() {
            TokenKind::Punct("[") => {
                self.advance();
                let mut items = Vec::new();
                while !self.eat_punct("]") {
                    if !items.is_empty() {
                        self.expect_punct(",")?;
                        if self.eat_punct("]") {
                            break;
                        }
                    }
                    items.push(self.nested(Self::json_value)?);
                }
                Ok(Value::Array(items))
            }
            TokenKind::Punct("{") => {
                self.advance();
                let mut object = serde_json::Map::new();
                while !self.eat_punct("}") {
                    if !object.is_empty() {
                        self.expect_punct(",")?;
                    }
                    let key = match self.advance().kind {
                        TokenKind::Str(key) | TokenKind::Ident(key) => key,
                        _ => {
                            return Err(KqlError::Syntax {
                                offset,
                                message: "expected a key in dynamic({...})".to_owned(),
                            });
                        }
                    };
                    self.expect_punct(":")?;
                    object.insert(key, self.nested(Self::json_value)?);
                }
                Ok(Value::Object(object))
            }
            TokenKind::Ident(word) if word == "null" => {
                self.advance();
                Ok(Value::Null)
            }
            _ => {
                let expr = self.unary()?;
                let ExprKind::Literal(value) = expr.kind else {
                    return Err(KqlError::Syntax {
                        offset,
                        message: "dynamic(...) takes a JSON-like literal".to_owned(),
                    });
                };
                Ok(json_of(value))
            }
        }
    }
}

/// The JSON form of a literal inside `dynamic(...)`.
fn json_of(value: Literal) -> Value {
    match value {
        Literal::Null(_) => Value::Null,
        Literal::Bool(b) => Value::Bool(b),
        Literal::Int(n) => Value::from(n),
        Literal::Long(n) => Value::from(n),
        Literal::Real(n) => Value::from(n),
        Literal::String(s) | Literal::Guid(s) => Value::String(s),
        Literal::Datetime(n) => Value::String(format_datetime(n)),
        Literal::Timespan(n) => Value::String(format_timespan(n)),
        Literal::Dynamic(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// The types written as `type(literal)`.
fn typed_literal_type(word: &str) -> Option<KqlType> {
    match word {
        "int" => Some(KqlType::Int),
        "long" => Some(KqlType::Long),
        "real" | "double" | "decimal" => Some(KqlType::Real),
        "bool" | "boolean" => Some(KqlType::Bool),
        "string" => Some(KqlType::String),
        _ => None,
    }
}

/// The value of `datetime(...)`, `guid(...)` or `timespan(...)`.
fn raw_literal(keyword: &str, text: &str, offset: usize) -> Result<Literal, KqlError> {
    let invalid = |what: &str| KqlError::Syntax {
        offset,
        message: format!("'{text}' is not a valid {what}"),
    };
    let kind = match keyword {
        "datetime" | "date" => KqlType::Datetime,
        "guid" => KqlType::Guid,
        _ => KqlType::Timespan,
    };
    if text == "null" {
        return Ok(Literal::Null(kind));
    }
    match kind {
        KqlType::Datetime => {
            let text = text.trim_matches(['"', '\'']);
            parse_datetime(text)
                .map(Literal::Datetime)
                .ok_or_else(|| invalid("datetime"))
        }
        KqlType::Guid => Ok(Literal::Guid(text.trim_matches(['"', '\'']).to_owned())),
        _ => parse_timespan(text)
            .map(Literal::Timespan)
            .ok_or_else(|| invalid("timespan")),
    }
}

fn literal(value: Literal, offset: usize) -> Expr {
    Expr::new(ExprKind::Literal(value), offset)
}

fn binary(op: BinaryOp, left: Expr, right: Expr, offset: usize) -> Expr {
    Expr::new(
        ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        offset,
    )
}

/// `operands` joined by `op` as a balanced tree (depth log2(n), not n).
fn balanced(op: BinaryOp, mut operands: Vec<Expr>) -> Expr {
    if operands.len() == 1 {
        return operands.remove(0);
    }
    let right = operands.split_off(operands.len() / 2);
    let offset = operands[0].offset;
    let left = balanced(op, operands);
    binary(op, left, balanced(op, right), offset)
}
