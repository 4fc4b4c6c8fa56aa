//! Turns KQL text into tokens, each with the byte range it came from, so that every later error can
//! point at the place in the query an analyst must fix.
//!
//! The lexer knows KQL's literal forms (quoted, verbatim `@"..."`, obfuscated `h"..."` and
//! multi-line strings; numbers; timespans such as `1d` or `250ms`; the raw text of `datetime(...)`,
//! `guid(...)` and `timespan(...)`) and leaves every keyword as a plain identifier: which words are
//! keywords depends on where they stand, which only the parser knows.

use crate::error::KqlError;

/// The most tokens one query may hold.
pub const MAX_TOKENS: usize = 200_000;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A name: a table, column, keyword or function (`in~` and `$left` included).
    Ident(String),
    /// A string literal, unescaped.
    Str(String),
    /// An integer literal.
    Long(i64),
    /// A number with a fraction or an exponent.
    Real(f64),
    /// A timespan literal (`1d`, `12h`, `250ms`), in nanoseconds.
    Timespan(i64),
    /// `datetime(...)`, `guid(...)`, `timespan(...)`: the keyword (lower-cased) and the raw text
    /// between the parentheses, trimmed.
    Raw {
        /// `datetime`, `date`, `guid`, `timespan` or `time`.
        keyword: String,
        /// What stood between the parentheses.
        text: String,
    },
    /// Punctuation or an operator symbol (`|`, `==`, `=~`, `..`, ...).
    Punct(&'static str),
    /// The end of the text.
    End,
}

/// A token and the byte range of the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Byte offset of its first character.
    pub offset: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

/// Symbols, longest first so that `==` is not read as two `=`.
const PUNCTUATION: [&str; 33] = [
    "..", "==", "!=", "<>", "<=", ">=", "=~", "!~", "=>", "|", ",", "(", ")", "[", "]", "{", "}",
    ";", ".", ":", "=", "<", ">", "+", "-", "*", "/", "%", "!", "?", "@", "#", "~",
];

/// Words that take their literal's raw text between parentheses.
const RAW_KEYWORDS: [&str; 5] = ["datetime", "date", "guid", "timespan", "time"];

/// Timespan units and their length in nanoseconds.
const TIMESPAN_UNITS: [(&str, i64); 24] = [
    ("d", 86_400_000_000_000),
    ("day", 86_400_000_000_000),
    ("days", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("hr", 3_600_000_000_000),
    ("hrs", 3_600_000_000_000),
    ("hour", 3_600_000_000_000),
    ("hours", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("minute", 60_000_000_000),
    ("minutes", 60_000_000_000),
    ("s", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("second", 1_000_000_000),
    ("seconds", 1_000_000_000),
    ("ms", 1_000_000),
    ("milli", 1_000_000),
    ("millis", 1_000_000),
    ("millisecond", 1_000_000),
    ("milliseconds", 1_000_000),
    ("microsecond", 1_000),
    ("microseconds", 1_000),
    ("tick", 100),
];

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
        if tokens.len() > MAX_TOKENS {
            return Err(KqlError::Limit(format!(
                "query: holds more than {MAX_TOKENS} tokens"
            )));
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

fn syntax(offset: usize, message: impl Into<String>) -> KqlError {
    KqlError::Syntax {
        offset,
        message: message.into(),
    }
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_blank_and_comments(&mut self) {
        loop {
            let trimmed = self.rest().trim_start_matches(|c: char| {
                c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
            });
            self.pos = self.text.len() - trimmed.len();
            if !trimmed.starts_with("//") {
                return;
            }
            self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
        }
    }

    fn next_token(&mut self) -> Result<Token, KqlError> {
        self.skip_blank_and_comments();
        let offset = self.pos;
        let kind = self.token_kind(offset)?;
        Ok(Token {
            kind,
            offset,
            end: self.pos,
        })
    }

    fn token_kind(&mut self, offset: usize) -> Result<TokenKind, KqlError> {
        let rest = self.rest();
        let Some(c) = self.peek() else {
            return Ok(TokenKind::End);
        };
        if rest.starts_with("```") || rest.starts_with("~~~") {
            return self.fenced_string(&rest[..3]);
        }
        if c == '"' || c == '\'' {
            return self.quoted_string(false);
        }
        if c == '@' && rest[1..].starts_with(['"', '\'']) {
            self.pos += 1;
            return self.quoted_string(true);
        }
        if matches!(c, 'h' | 'H') && rest[1..].starts_with(['"', '\'', '@']) {
            let verbatim = rest[1..].starts_with('@');
            if !verbatim || rest[2..].starts_with(['"', '\'']) {
                self.pos += if verbatim { 2 } else { 1 };
                return self.quoted_string(verbatim);
            }
        }
        if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            return self.number(offset);
        }
        if is_word_start(c) {
            return self.word(offset);
        }
        for symbol in PUNCTUATION {
            if rest.starts_with(symbol) {
                self.pos += symbol.len();
                return Ok(TokenKind::Punct(symbol));
            }
        }
        Err(syntax(offset, format!("unexpected character '{c}'")))
    }

    /// A name; `in~` keeps its tilde, and a raw-literal keyword takes its parenthesised text.
    fn word(&mut self, offset: usize) -> Result<TokenKind, KqlError> {
        let len = self
            .rest()
            .char_indices()
            .find(|&(i, c)| i > 0 && !is_word_char(c))
            .map_or(self.rest().len(), |(i, _)| i);
        let word = &self.rest()[..len];
        self.pos += len;
        if word == "in" && self.rest().starts_with('~') {
            self.pos += 1;
            return Ok(TokenKind::Ident("in~".to_owned()));
        }
        let lower = word.to_ascii_lowercase();
        if RAW_KEYWORDS.contains(&lower.as_str()) {
            let after = self.rest().trim_start();
            if let Some(inside) = after.strip_prefix('(') {
                let Some(close) = inside.find(')') else {
                    return Err(syntax(offset, format!("'{word}(' is not closed")));
                };
                let text = inside[..close].trim().to_owned();
                self.pos = self.text.len() - inside.len() + close + 1;
                return Ok(TokenKind::Raw {
                    keyword: lower,
                    text,
                });
            }
        }
        Ok(TokenKind::Ident(word.to_owned()))
    }

    /// A number: an integer, a real, a hexadecimal integer or a timespan (`1.5h`).
    fn number(&mut self, offset: usize) -> Result<TokenKind, KqlError> {
        let rest = self.rest();
        if let Some(hex) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            let len = hex
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(hex.len());
            self.pos += 2 + len;
            return i64::from_str_radix(&hex[..len], 16)
                .map(TokenKind::Long)
                .map_err(|_| syntax(offset, "hexadecimal number out of range"));
        }
        let bytes = rest.as_bytes();
        let mut len = digits(bytes, 0);
        let mut real = false;
        if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
            real = true;
            len = digits(bytes, len + 1);
        }
        if matches!(bytes.get(len), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
            if bytes.get(len + 1 + sign).is_some_and(u8::is_ascii_digit) {
                real = true;
                len = digits(bytes, len + 1 + sign);
            }
        }
        let number = &rest[..len];
        let unit_len = rest[len..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len() - len);
        let unit = &rest[len..len + unit_len];
        self.pos += len + unit_len;
        if !unit.is_empty() {
            return timespan(number, unit).ok_or_else(|| {
                syntax(
                    offset,
                    format!("'{number}{unit}' is not a number or timespan"),
                )
            });
        }
        if real {
            return number
                .parse()
                .map(TokenKind::Real)
                .map_err(|_| syntax(offset, format!("'{number}' is not a number")));
        }
        Ok(match number.parse() {
            Ok(value) => TokenKind::Long(value),
            Err(_) => TokenKind::Real(number.parse().unwrap_or(f64::INFINITY)),
        })
    }

    /// `"..."` or `'...'` with backslash escapes, or verbatim (`@"..."`, quotes doubled).
    fn quoted_string(&mut self, verbatim: bool) -> Result<TokenKind, KqlError> {
        let start = self.pos;
        let quote = self.peek().unwrap_or('"');
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(syntax(start, "string literal is not closed"));
            };
            self.pos += c.len_utf8();
            match c {
                '\n' if !verbatim => return Err(syntax(start, "string literal is not closed")),
                c if c == quote => {
                    if verbatim && self.peek() == Some(quote) {
                        self.pos += 1;
                        value.push(quote);
                    } else {
                        return Ok(TokenKind::Str(value));
                    }
                }
                '\\' if !verbatim => value.push(self.escape(start)?),
                c => value.push(c),
            }
        }
    }

    fn escape(&mut self, start: usize) -> Result<char, KqlError> {
        let Some(c) = self.peek() else {
            return Err(syntax(start, "string literal is not closed"));
        };
        self.pos += c.len_utf8();
        Ok(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            'u' => {
                let hex = self.rest().get(..4).unwrap_or_default();
                let code = u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| syntax(self.pos, "'\\u' needs four hexadecimal digits"))?;
                self.pos += 4;
                code
            }
            other => other,
        })
    }

    /// A multi-line string between two fences of three backquotes (or tildes).
    fn fenced_string(&mut self, fence: &str) -> Result<TokenKind, KqlError> {
        let start = self.pos;
        let inside = &self.rest()[3..];
        let Some(close) = inside.find(fence) else {
            return Err(syntax(start, "multi-line string literal is not closed"));
        };
        self.pos += 3 + close + 3;
        Ok(TokenKind::Str(inside[..close].to_owned()))
    }
}

fn digits(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// A number with a unit suffix as nanoseconds, if the unit is one KQL knows.
fn timespan(number: &str, unit: &str) -> Option<TokenKind> {
    let lower = unit.to_ascii_lowercase();
    let unit = lower
        .strip_suffix("ticks")
        .map(|_| "tick")
        .unwrap_or(lower.as_str());
    let scale = TIMESPAN_UNITS.iter().find(|(name, _)| *name == unit)?.1;
    let value: f64 = number.parse().ok()?;
    let nanos = value * scale as f64;
    (nanos.is_finite() && nanos.abs() < i64::MAX as f64)
        .then_some(TokenKind::Timespan(nanos as i64))
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
    fn numbers_timespans_and_ranges_are_told_apart() {
        assert_eq!(
            kinds("1 2.5 1d 250ms 1..3 0x10 1e3"),
            vec![
                TokenKind::Long(1),
                TokenKind::Real(2.5),
                TokenKind::Timespan(86_400_000_000_000),
                TokenKind::Timespan(250_000_000),
                TokenKind::Long(1),
                TokenKind::Punct(".."),
                TokenKind::Long(3),
                TokenKind::Long(16),
                TokenKind::Real(1000.0),
                TokenKind::End,
            ]
        );
    }

    #[test]
    fn strings_take_every_literal_form() {
        assert_eq!(
            kinds(
                r#""a\"b" 'c' @"d\e""f" h"g" ```x
y```"#
            ),
            vec![
                TokenKind::Str("a\"b".into()),
                TokenKind::Str("c".into()),
                TokenKind::Str("d\\e\"f".into()),
                TokenKind::Str("g".into()),
                TokenKind::Str("x\ny".into()),
                TokenKind::End,
            ]
        );
    }

    #[test]
    fn raw_literals_keep_their_text_and_symbols_their_longest_form() {
        assert_eq!(
            kinds("datetime(2024-01-01 10:00) x !~ y in~ !="),
            vec![
                TokenKind::Raw {
                    keyword: "datetime".into(),
                    text: "2024-01-01 10:00".into()
                },
                TokenKind::Ident("x".into()),
                TokenKind::Punct("!~"),
                TokenKind::Ident("y".into()),
                TokenKind::Ident("in~".into()),
                TokenKind::Punct("!="),
                TokenKind::End,
            ]
        );
    }

    #[test]
    fn an_unclosed_string_names_where_it_starts() {
        assert_eq!(
            tokenize("T | where x == \"abc").unwrap_err(),
            syntax(15, "string literal is not closed")
        );
    }
}
