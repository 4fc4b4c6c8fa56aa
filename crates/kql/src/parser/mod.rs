//! Reads KQL tokens into the [`ast`](crate::ast): statements, sources and the pieces the
//! expression and operator parsers share.
//!
//! The parser is recursive descent with limits that keep hostile text from exhausting the stack or
//! the engine: nesting deeper than [`MAX_DEPTH`] levels and more than [`MAX_TERMS`] `and`/`or`
//! terms are refused with [`KqlError::Limit`], and `and`/`or` chains are built as balanced trees so
//! that nothing downstream recurses through a thousand-deep expression.

mod expr;
mod operators;

use crate::ast::{Let, LetValue, Param, Pipeline, Query, Source, Union, UnionTable};
use crate::error::KqlError;
use crate::lexer::{Token, TokenKind, tokenize};
use crate::types::KqlType;

/// The deepest nesting of parentheses, pipelines and unary operators the parser accepts.
pub const MAX_DEPTH: usize = 64;
/// The most `and`/`or` terms one query may hold.
pub const MAX_TERMS: usize = 1_000;
/// The most operands one arithmetic or comparison chain (`a + b + c ...`) may hold.
pub const MAX_CHAIN: usize = 64;
/// The most operators one pipeline may hold.
pub const MAX_OPERATORS: usize = 500;

/// Parses a whole query.
pub fn parse(text: &str) -> Result<Query, KqlError> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        pos: 0,
        depth: 0,
        terms: 0,
    };
    parser.query()
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn token(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn kind_at(&self, ahead: usize) -> &TokenKind {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].kind
    }

    fn offset(&self) -> usize {
        self.token().offset
    }

    fn advance(&mut self) -> Token {
        let token = self.token().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn at_punct(&self, symbol: &str) -> bool {
        matches!(self.kind_at(0), TokenKind::Punct(p) if *p == symbol)
    }

    fn punct_at(&self, ahead: usize, symbol: &str) -> bool {
        matches!(self.kind_at(ahead), TokenKind::Punct(p) if *p == symbol)
    }

    fn at_word(&self, word: &str) -> bool {
        self.word_at(0, word)
    }

    fn word_at(&self, ahead: usize, word: &str) -> bool {
        matches!(self.kind_at(ahead), TokenKind::Ident(w) if w == word)
    }

    fn eat_punct(&mut self, symbol: &str) -> bool {
        let found = self.at_punct(symbol);
        if found {
            self.advance();
        }
        found
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.at_word(word);
        if found {
            self.advance();
        }
        found
    }

    fn at_end(&self) -> bool {
        matches!(self.kind_at(0), TokenKind::End)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, KqlError> {
        Err(KqlError::Syntax {
            offset: self.offset(),
            message: message.into(),
        })
    }

    fn found(&self) -> String {
        match self.kind_at(0) {
            TokenKind::Ident(w) => format!("'{w}'"),
            TokenKind::Str(s) => format!("string \"{s}\""),
            TokenKind::Punct(p) => format!("'{p}'"),
            TokenKind::End => "the end of the query".to_owned(),
            TokenKind::Raw { keyword, .. } => format!("'{keyword}(...)'"),
            _ => "a number".to_owned(),
        }
    }

    fn expect_punct(&mut self, symbol: &str) -> Result<(), KqlError> {
        if self.eat_punct(symbol) {
            return Ok(());
        }
        self.error(format!("expected '{symbol}', found {}", self.found()))
    }

    fn expect_word(&mut self, word: &str) -> Result<(), KqlError> {
        if self.eat_word(word) {
            return Ok(());
        }
        self.error(format!("expected '{word}', found {}", self.found()))
    }

    /// A name: an identifier or a bracketed `['name with spaces']`.
    fn name(&mut self) -> Result<String, KqlError> {
        match self.kind_at(0).clone() {
            TokenKind::Ident(word) => {
                self.advance();
                Ok(word)
            }
            TokenKind::Punct("[") => {
                self.advance();
                let TokenKind::Str(name) = self.kind_at(0).clone() else {
                    return self.error("expected a quoted name inside '[...]'");
                };
                self.advance();
                self.expect_punct("]")?;
                Ok(name)
            }
            _ => self.error(format!("expected a name, found {}", self.found())),
        }
    }

    /// A name whose pieces touch (`project-away`, `mv-expand`, `Security*`): identifiers joined by
    /// `-` or carrying `*` wildcards, with no blank between them.
    fn joined_name(&mut self, wildcards: bool) -> Result<String, KqlError> {
        let mut name = if wildcards && self.at_punct("*") {
            self.advance();
            "*".to_owned()
        } else {
            self.name()?
        };
        loop {
            let end = self.tokens[self.pos - 1].end;
            let next = self.token().clone();
            if next.offset != end {
                return Ok(name);
            }
            match &next.kind {
                TokenKind::Punct("*") if wildcards => name.push('*'),
                TokenKind::Ident(word) if wildcards || name.ends_with('-') => name.push_str(word),
                TokenKind::Long(n) if wildcards => name.push_str(&n.to_string()),
                TokenKind::Punct("-") if !wildcards && self.ident_touches(next.end) => {
                    name.push('-')
                }
                _ => return Ok(name),
            }
            self.advance();
        }
    }

    fn ident_touches(&self, end: usize) -> bool {
        let next = &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)];
        next.offset == end && matches!(next.kind, TokenKind::Ident(_))
    }

    /// Runs `inner` one nesting level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<T, KqlError>,
    ) -> Result<T, KqlError> {
        if self.depth >= MAX_DEPTH {
            return Err(KqlError::Limit(format!(
                "query: nests deeper than {MAX_DEPTH} levels at offset {}",
                self.offset()
            )));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    /// `let` statements, then the result, then nothing.
    fn query(&mut self) -> Result<Query, KqlError> {
        let lets = self.statements()?;
        let body = self.pipeline()?;
        while self.eat_punct(";") {}
        if !self.at_end() {
            return self.error(format!(
                "expected the end of the query, found {}",
                self.found()
            ));
        }
        Ok(Query { lets, body })
    }

    /// `let ...;`, skipping `set ...;` and `declare ...;` options.
    fn statements(&mut self) -> Result<Vec<Let>, KqlError> {
        let mut lets = Vec::new();
        loop {
            if self.at_word("let") {
                lets.push(self.let_statement()?);
            } else if (self.at_word("set") || self.at_word("declare") || self.at_word("alias"))
                && matches!(self.kind_at(1), TokenKind::Ident(_))
            {
                while !self.at_punct(";") && !self.at_end() {
                    self.advance();
                }
            } else {
                return Ok(lets);
            }
            self.expect_punct(";")?;
            while self.eat_punct(";") {}
        }
    }

    fn let_statement(&mut self) -> Result<Let, KqlError> {
        let offset = self.offset();
        self.expect_word("let")?;
        let name = self.name()?;
        self.expect_punct("=")?;
        if self.at_word("view") && self.punct_at(1, "(") {
            self.advance();
        }
        let value = if self.at_lambda() {
            LetValue::Function(self.nested(Self::lambda)?)
        } else {
            LetValue::Expr(self.expr_or_pipeline()?)
        };
        Ok(Let {
            name,
            value,
            offset,
        })
    }

    fn at_lambda(&self) -> bool {
        self.at_punct("(")
            && ((self.punct_at(1, ")") && self.punct_at(2, "{"))
                || (matches!(self.kind_at(1), TokenKind::Ident(_)) && self.punct_at(2, ":")))
    }

    /// `(params) { lets; body }`
    fn lambda(&mut self) -> Result<crate::ast::Lambda, KqlError> {
        self.expect_punct("(")?;
        let mut params = Vec::new();
        while !self.eat_punct(")") {
            if !params.is_empty() {
                self.expect_punct(",")?;
            }
            params.push(self.param()?);
        }
        self.expect_punct("{")?;
        let lets = self.statements()?;
        let body = self.expr_or_pipeline()?;
        while self.eat_punct(";") {}
        self.expect_punct("}")?;
        Ok(crate::ast::Lambda { params, lets, body })
    }

    fn param(&mut self) -> Result<Param, KqlError> {
        let name = self.name()?;
        self.expect_punct(":")?;
        let tabular = self.at_punct("(");
        if tabular {
            self.skip_balanced()?;
        } else {
            self.type_name()?;
        }
        let default = if self.eat_punct("=") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Param {
            name,
            tabular,
            default,
        })
    }

    /// A type name (`string`, `long`, ...).
    fn type_name(&mut self) -> Result<KqlType, KqlError> {
        let offset = self.offset();
        let name = self.name()?;
        name.parse()
            .map_err(|e: crate::types::UnknownType| KqlError::Syntax {
                offset,
                message: e.to_string(),
            })
    }

    /// Skips a parenthesised group, nested groups included.
    fn skip_balanced(&mut self) -> Result<(), KqlError> {
        let mut open = 0usize;
        loop {
            if self.at_end() {
                return self.error("a parenthesis is not closed");
            }
            match self.advance().kind {
                TokenKind::Punct("(" | "[" | "{") => open += 1,
                TokenKind::Punct(")" | "]" | "}") => open = open.saturating_sub(1),
                _ => {}
            }
            if open == 0 {
                return Ok(());
            }
        }
    }

    /// Skips to the next `|` (or the end of the enclosing group), over balanced groups.
    fn skip_to_pipe(&mut self) -> Result<(), KqlError> {
        while !self.at_end() && !self.at_punct("|") && !self.at_punct(")") && !self.at_punct(";") {
            if self.at_punct("(") || self.at_punct("[") || self.at_punct("{") {
                self.skip_balanced()?;
            } else {
                self.advance();
            }
        }
        Ok(())
    }

    /// A source, then `| operator`s.
    fn pipeline(&mut self) -> Result<Pipeline, KqlError> {
        self.nested(|p| {
            let source = p.source()?;
            p.operators_after(source)
        })
    }

    /// `| operator`s after a source already read.
    fn operators_after(&mut self, source: Source) -> Result<Pipeline, KqlError> {
        let mut operators = Vec::new();
        while self.eat_punct("|") {
            if operators.len() >= MAX_OPERATORS {
                return Err(KqlError::Limit(format!(
                    "query: a pipeline holds more than {MAX_OPERATORS} operators"
                )));
            }
            operators.push(self.operator()?);
        }
        Ok(Pipeline { source, operators })
    }

    fn at_source_keyword(&self) -> bool {
        let TokenKind::Ident(word) = self.kind_at(0) else {
            return false;
        };
        match word.as_str() {
            "range" => matches!(self.kind_at(1), TokenKind::Ident(_)),
            "datatable" | "externaldata" | "evaluate" => self.punct_at(1, "("),
            "union" | "print" | "search" | "find" => !self.punct_at(1, "(") || word == "union",
            _ => false,
        }
    }

    fn source(&mut self) -> Result<Source, KqlError> {
        let offset = self.offset();
        if self.at_source_keyword() {
            let TokenKind::Ident(word) = self.advance().kind else {
                return self.error("expected a source");
            };
            return match word.as_str() {
                "union" => Ok(Source::Union(self.union_body(offset)?)),
                "datatable" => self.datatable(),
                "range" => self.range(),
                "print" => Ok(Source::Print(self.assignments()?)),
                "search" => Ok(Source::Search(self.search_body(offset)?)),
                name => {
                    self.skip_to_pipe()?;
                    Ok(Source::Unsupported {
                        name: name.to_owned(),
                        offset,
                    })
                }
            };
        }
        let expr = self.expr()?;
        self.source_of(expr)
    }

    /// The source an expression names where a table is expected.
    fn source_of(&self, expr: crate::ast::Expr) -> Result<Source, KqlError> {
        use crate::ast::ExprKind;
        match expr.kind {
            ExprKind::Name(name) => Ok(Source::Name {
                name,
                offset: expr.offset,
            }),
            ExprKind::Call { name, args } => Ok(Source::Call {
                name,
                args,
                offset: expr.offset,
            }),
            ExprKind::Pipeline(pipeline) => Ok(Source::Nested(pipeline)),
            _ => Err(KqlError::Syntax {
                offset: expr.offset,
                message: "expected a table, a tabular let or a parenthesised query".to_owned(),
            }),
        }
    }

    /// `name = value` options before an operator's arguments (`kind=inner`, `hint.strategy=...`).
    fn options(&mut self, names: &[&str]) -> Vec<(String, String)> {
        let mut options = Vec::new();
        loop {
            let TokenKind::Ident(word) = self.kind_at(0).clone() else {
                return options;
            };
            let hint = word == "hint" && self.punct_at(1, ".");
            let equals_at = if hint { 3 } else { 1 };
            if !(hint || names.contains(&word.as_str())) || !self.punct_at(equals_at, "=") {
                return options;
            }
            let mut name = word;
            if hint {
                self.advance();
                self.advance();
                if let TokenKind::Ident(option) = self.advance().kind {
                    name = format!("hint.{option}");
                }
            } else {
                self.advance();
            }
            self.advance();
            let value = match self.advance().kind {
                TokenKind::Ident(v) | TokenKind::Str(v) => v,
                TokenKind::Long(n) => n.to_string(),
                _ => String::new(),
            };
            options.push((name, value));
        }
    }

    /// The rest of `union`: options, then the legs.
    fn union_body(&mut self, offset: usize) -> Result<Union, KqlError> {
        let options = self.options(&["kind", "withsource", "isfuzzy"]);
        let mut union = Union {
            outer: true,
            with_source: None,
            tables: Vec::new(),
            offset,
        };
        for (name, value) in options {
            match name.as_str() {
                "kind" => union.outer = value != "inner",
                "withsource" => union.with_source = Some(value),
                _ => {}
            }
        }
        loop {
            let leg = if self.at_punct("(") {
                self.advance();
                let pipeline = self.pipeline()?;
                self.expect_punct(")")?;
                UnionTable::Pipeline(Box::new(pipeline))
            } else if matches!(self.kind_at(0), TokenKind::Ident(_)) && self.punct_at(1, "(") {
                let call = self.expr()?;
                UnionTable::Pipeline(Box::new(Pipeline {
                    source: self.source_of(call)?,
                    operators: Vec::new(),
                }))
            } else {
                UnionTable::Pattern(self.joined_name(true)?)
            };
            union.tables.push(leg);
            if !self.eat_punct(",") {
                return Ok(union);
            }
        }
    }

    /// `datatable (a: type, ...) [values]`
    fn datatable(&mut self) -> Result<Source, KqlError> {
        self.expect_punct("(")?;
        let mut columns = Vec::new();
        while !self.eat_punct(")") {
            if !columns.is_empty() {
                self.expect_punct(",")?;
            }
            let name = self.name()?;
            self.expect_punct(":")?;
            columns.push((name, self.type_name()?));
        }
        self.expect_punct("[")?;
        let mut values = Vec::new();
        while !self.eat_punct("]") {
            values.push(self.expr()?);
            if !self.eat_punct(",") {
                self.expect_punct("]")?;
                break;
            }
        }
        Ok(Source::Datatable { columns, values })
    }

    /// `range x from a to b step s`
    fn range(&mut self) -> Result<Source, KqlError> {
        let name = self.name()?;
        self.expect_word("from")?;
        let from = self.expr()?;
        self.expect_word("to")?;
        let to = self.expr()?;
        self.expect_word("step")?;
        let step = self.expr()?;
        Ok(Source::Range {
            name,
            from,
            to,
            step,
        })
    }

    /// The rest of `search`: `[kind=...] [in (T1, T2)] predicate`.
    fn search_body(&mut self, offset: usize) -> Result<crate::ast::Search, KqlError> {
        self.options(&["kind"]);
        let mut tables = Vec::new();
        if self.at_word("in") && self.punct_at(1, "(") {
            self.advance();
            self.advance();
            while !self.eat_punct(")") {
                if !tables.is_empty() {
                    self.expect_punct(",")?;
                }
                tables.push(self.joined_name(true)?);
            }
        }
        Ok(crate::ast::Search {
            tables,
            predicate: self.expr()?,
            offset,
        })
    }
}

#[cfg(test)]
mod tests;
