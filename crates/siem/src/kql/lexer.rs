//! Turns query text into tokens. Every token keeps its byte offset so that errors can point at it.

use super::KqlError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A name: a table, column, operator keyword or function.
    Ident(String),
    /// A quoted string literal, unescaped.
    Str(String),
    /// An integer literal.
    Long(i64),
    /// A number with a fraction or exponent.
    Real(f64),
    /// A timespan literal such as `1d`, `12h`, `30m`, `10s`, `250ms`, in seconds.
    Timespan(f64),
    /// The raw text inside `datetime(...)`.
    DatetimeText(String),
    /// `|`
    Pipe,
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `;` (ends a `let` statement)
    Semicolon,
    /// A comparison or assignment symbol: `==`, `!=`, `<`, `<=`, `>`, `>=`, `=~`, `!~`, `=`.
    Symbol(&'static str),
    /// `!` directly before a word operator (`!contains`, `!in`, `!has`).
    Bang,
    /// The end of the query.
    End,
}

/// A token and where it starts in the query text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Byte offset of its first character.
    pub offset: usize,
}

/// Splits `text` into tokens, ending with [`TokenKind::End`].
pub fn tokenize(text: &str) -> Result<Vec<Token>, KqlError> {
    let mut lexer = Lexer { text, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let done = token.kind == TokenKind::End;
        tokens.push(token);
        if done {
            return Ok(tokens);
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

const SYMBOLS: [&str; 9] = ["==", "!=", "<=", ">=", "=~", "!~", "<", ">", "="];

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_blank_and_comments(&mut self) {
        loop {
            let trimmed = self.rest().trim_start();
            self.pos = self.text.len() - trimmed.len();
            if !trimmed.starts_with("//") {
                return;
            }
            let line_end = trimmed.find('\n').unwrap_or(trimmed.len());
            self.pos += line_end;
        }
    }

    fn next_token(&mut self) -> Result<Token, KqlError> {
        self.skip_blank_and_comments();
        let offset = self.pos;
        let token = |kind| Ok(Token { kind, offset });
        let Some(c) = self.peek() else {
            return token(TokenKind::End);
        };
        let single = match c {
            '|' => Some(TokenKind::Pipe),
            ',' => Some(TokenKind::Comma),
            '(' => Some(TokenKind::LParen),
            ')' => Some(TokenKind::RParen),
            ';' => Some(TokenKind::Semicolon),
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return token(kind);
        }
        if c == '"' || c == '\'' {
            return token(self.string(c)?);
        }
        if c.is_ascii_digit() {
            return token(self.number()?);
        }
        if c == '-' && self.rest()[1..].starts_with(|d: char| d.is_ascii_digit()) {
            self.pos += 1;
            return token(negate(self.number()?));
        }
        if c.is_alphabetic() || c == '_' {
            return token(self.word());
        }
        if let Some(symbol) = SYMBOLS.iter().find(|s| self.rest().starts_with(**s)) {
            self.pos += symbol.len();
            return token(TokenKind::Symbol(symbol));
        }
        if c == '!' {
            self.pos += 1;
            return token(TokenKind::Bang);
        }
        Err(KqlError::Syntax {
            offset,
            message: format!("unexpected character '{c}'"),
        })
    }

    fn string(&mut self, quote: char) -> Result<TokenKind, KqlError> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let Some((_, escaped)) = chars.next() else {
                        break;
                    };
                    value.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                }
                c if c == quote => {
                    self.pos += i + 1;
                    return Ok(TokenKind::Str(value));
                }
                c => value.push(c),
            }
        }
        Err(KqlError::Syntax {
            offset: start,
            message: "unterminated string literal".into(),
        })
    }

    fn number(&mut self) -> Result<TokenKind, KqlError> {
        let start = self.pos;
        let rest = self.rest();
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let literal = &rest[..digits];
        let unit_len = rest[digits..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - digits);
        let unit = &rest[digits..digits + unit_len];
        self.pos += digits + unit_len;
        let bad = |what: &str| KqlError::Syntax {
            offset: start,
            message: format!("invalid {what} '{}'", &rest[..digits + unit_len]),
        };
        if unit.is_empty() {
            return match literal.parse::<i64>() {
                Ok(n) => Ok(TokenKind::Long(n)),
                Err(_) => literal
                    .parse::<f64>()
                    .map(TokenKind::Real)
                    .map_err(|_| bad("number")),
            };
        }
        let amount: f64 = literal.parse().map_err(|_| bad("timespan"))?;
        let seconds = match unit {
            "d" => 86_400.0,
            "h" => 3_600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad("timespan (units are d, h, m, s, ms)")),
        };
        Ok(TokenKind::Timespan(amount * seconds))
    }

    fn word(&mut self) -> TokenKind {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        // `-` is part of a few operator names (`project-away`), never of a column name followed by text.
        let word = rest[..len].trim_end_matches('-');
        self.pos += word.len();
        if word == "datetime" && self.rest().starts_with('(') {
            let inner_end = self.rest().find(')');
            if let Some(end) = inner_end {
                let inner = self.rest()[1..end].trim().to_owned();
                self.pos += end + 1;
                return TokenKind::DatetimeText(inner);
            }
        }
        TokenKind::Ident(word.to_owned())
    }
}

fn negate(kind: TokenKind) -> TokenKind {
    match kind {
        TokenKind::Long(n) => TokenKind::Long(-n),
        TokenKind::Real(n) => TokenKind::Real(-n),
        TokenKind::Timespan(n) => TokenKind::Timespan(-n),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn tokenizes_a_pipeline() {
        assert_eq!(
            kinds("T | where A >= ago(1d) and B != 'x\\'y'"),
            vec![
                TokenKind::Ident("T".into()),
                TokenKind::Pipe,
                TokenKind::Ident("where".into()),
                TokenKind::Ident("A".into()),
                TokenKind::Symbol(">="),
                TokenKind::Ident("ago".into()),
                TokenKind::LParen,
                TokenKind::Timespan(86_400.0),
                TokenKind::RParen,
                TokenKind::Ident("and".into()),
                TokenKind::Ident("B".into()),
                TokenKind::Symbol("!="),
                TokenKind::Str("x'y".into()),
                TokenKind::End,
            ]
        );
    }

    #[test]
    fn reads_numbers_datetimes_and_negated_operators() {
        assert_eq!(
            kinds("1.5 -42 datetime(2024-01-01) !contains // comment"),
            vec![
                TokenKind::Real(1.5),
                TokenKind::Long(-42),
                TokenKind::DatetimeText("2024-01-01".into()),
                TokenKind::Bang,
                TokenKind::Ident("contains".into()),
                TokenKind::End,
            ]
        );
    }

    #[test]
    fn rejects_bad_input_with_its_offset() {
        let err = tokenize("T | where A == \"open").unwrap_err();
        assert!(
            matches!(err, KqlError::Syntax { offset: 15, .. }),
            "{err:?}"
        );
        assert!(tokenize("T | take 5x").is_err());
        assert!(tokenize("T # x").is_err());
    }
}
