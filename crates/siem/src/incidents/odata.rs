//! The OData options of `GET …/incidents`: `$filter`, `$orderby`, `$top` and `$skipToken`.
//!
//! `$filter` takes comparisons joined by `and`: `properties/createdTimeUtc` and
//! `properties/lastModifiedTimeUtc` (and the activity times) with `eq`, `ne`, `gt`, `ge`, `lt`, `le`
//! against an ISO 8601 time; `properties/status`, `properties/severity`, `properties/title`,
//! `properties/incidentNumber` and `name` with `eq` / `ne` (and order comparisons for numbers).
//!
//! Paging is by key, not by offset: the skip token holds the sort key and name of the last incident
//! served, and the next page starts strictly after it. Incidents created or changed between two page
//! requests therefore never make an unchanged incident repeat or vanish.

use std::cmp::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tandem_model::sentinel::Incident;

use crate::schema::parse_datetime;

/// Why the OData options were refused; the message names the option and the offending text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ODataError(pub String);

/// The default and largest page.
pub const DEFAULT_TOP: usize = 50;
/// The largest `$top` accepted.
pub const MAX_TOP: usize = 1000;

/// Parsed list options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListOptions {
    filter: Vec<Condition>,
    order: Vec<(Path, bool)>,
    /// The page size.
    pub top: usize,
    after: Option<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    path: Path,
    op: Op,
    value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
struct Path(String);

const TIME_PATHS: [&str; 4] = [
    "properties/createdTimeUtc",
    "properties/lastModifiedTimeUtc",
    "properties/firstActivityTimeUtc",
    "properties/lastActivityTimeUtc",
];
const OTHER_PATHS: [&str; 6] = [
    "properties/status",
    "properties/severity",
    "properties/title",
    "properties/incidentNumber",
    "properties/classification",
    "name",
];

impl Path {
    fn parse(text: &str) -> Result<Path, ODataError> {
        TIME_PATHS
            .iter()
            .chain(OTHER_PATHS.iter())
            .find(|p| p.eq_ignore_ascii_case(text))
            .map(|p| Path((*p).to_owned()))
            .ok_or_else(|| {
                ODataError(format!(
                    "the property '{text}' cannot be used here; use one of {}",
                    TIME_PATHS
                        .iter()
                        .chain(OTHER_PATHS.iter())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    fn is_time(&self) -> bool {
        TIME_PATHS.contains(&self.0.as_str())
    }

    fn value(&self, incident: &Value) -> Value {
        self.0.split('/').fold(incident, |v, key| &v[key]).clone()
    }
}

fn compare_values(path: &Path, a: &Value, b: &Value) -> Ordering {
    if path.is_time() {
        let t = |v: &Value| v.as_str().and_then(parse_datetime);
        return t(a).cmp(&t(b));
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or_default()
            .total_cmp(&y.as_f64().unwrap_or_default()),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

impl ListOptions {
    /// Reads the options from the query parameters' values.
    pub fn parse(
        filter: Option<&str>,
        orderby: Option<&str>,
        top: Option<&str>,
        skip_token: Option<&str>,
    ) -> Result<ListOptions, ODataError> {
        let top = match top {
            None => DEFAULT_TOP,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_TOP).contains(&n) => n,
                _ => {
                    return Err(ODataError(format!(
                        "$top: '{text}' is not a whole number from 1 to {MAX_TOP}"
                    )));
                }
            },
        };
        let after = skip_token
            .map(|token| {
                URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Vec<Value>>(&bytes).ok())
                    .ok_or_else(|| {
                        ODataError(format!(
                            "$skipToken: '{token}' is not a token this server issued"
                        ))
                    })
            })
            .transpose()?;
        Ok(ListOptions {
            filter: filter.map(parse_filter).transpose()?.unwrap_or_default(),
            order: parse_orderby(orderby.unwrap_or("properties/createdTimeUtc desc"))?,
            top,
            after,
        })
    }

    /// One page of `incidents` under these options, and the skip token of the next page if any.
    pub fn page(&self, incidents: Vec<Incident>) -> (Vec<Incident>, Option<String>) {
        let mut keyed: Vec<(Vec<Value>, Incident)> = incidents
            .into_iter()
            .filter_map(|incident| {
                let value = serde_json::to_value(&incident).ok()?;
                self.matches(&value).then(|| (self.key(&value), incident))
            })
            .collect();
        keyed.sort_by(|a, b| self.compare_keys(&a.0, &b.0));
        if let Some(after) = &self.after {
            keyed.retain(|(key, _)| self.compare_keys(key, after) == Ordering::Greater);
        }
        let more = keyed.len() > self.top;
        keyed.truncate(self.top);
        let token = more
            .then(|| {
                keyed
                    .last()
                    .map(|(key, _)| URL_SAFE_NO_PAD.encode(Value::Array(key.clone()).to_string()))
            })
            .flatten();
        (
            keyed.into_iter().map(|(_, incident)| incident).collect(),
            token,
        )
    }

    fn matches(&self, incident: &Value) -> bool {
        self.filter.iter().all(|c| {
            let ordering = compare_values(&c.path, &c.path.value(incident), &c.value);
            match c.op {
                Op::Eq => ordering == Ordering::Equal,
                Op::Ne => ordering != Ordering::Equal,
                Op::Gt => ordering == Ordering::Greater,
                Op::Ge => ordering != Ordering::Less,
                Op::Lt => ordering == Ordering::Less,
                Op::Le => ordering != Ordering::Greater,
            }
        })
    }

    /// The sort key: every `$orderby` value, then the name as the tie-breaker.
    fn key(&self, incident: &Value) -> Vec<Value> {
        let mut key: Vec<Value> = self
            .order
            .iter()
            .map(|(path, _)| path.value(incident))
            .collect();
        key.push(incident["name"].clone());
        key
    }

    fn compare_keys(&self, a: &[Value], b: &[Value]) -> Ordering {
        let name = Path("name".into());
        let directions = self
            .order
            .iter()
            .map(|(p, asc)| (p, *asc))
            .chain(std::iter::once((&name, true)));
        a.iter()
            .zip(b)
            .zip(directions)
            .map(|((x, y), (path, ascending))| {
                let o = compare_values(path, x, y);
                if ascending { o } else { o.reverse() }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

fn parse_orderby(text: &str) -> Result<Vec<(Path, bool)>, ODataError> {
    text.split(',')
        .map(|part| {
            let mut words = part.split_whitespace();
            let path = Path::parse(words.next().unwrap_or_default())?;
            let ascending = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => true,
                Some("desc") => false,
                Some(other) => {
                    return Err(ODataError(format!(
                        "$orderby: '{other}' is neither asc nor desc"
                    )));
                }
            };
            Ok((path, ascending))
        })
        .collect()
}

fn parse_filter(text: &str) -> Result<Vec<Condition>, ODataError> {
    let tokens = filter_tokens(text)?;
    let mut conditions = Vec::new();
    let mut parts = tokens.split(|t| t.eq_ignore_ascii_case("and"));
    for part in parts.by_ref() {
        let [path, op, value] = part else {
            return Err(ODataError(format!(
                "$filter: '{}' is not '<property> <eq|ne|gt|ge|lt|le> <value>' (conditions join with 'and')",
                part.join(" ")
            )));
        };
        let path = Path::parse(path)?;
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => {
                return Err(ODataError(format!(
                    "$filter: the operator '{other}' is not supported (use eq, ne, gt, ge, lt, le)"
                )));
            }
        };
        conditions.push(Condition {
            value: filter_value(&path, value)?,
            path,
            op,
        });
    }
    Ok(conditions)
}

fn filter_value(path: &Path, text: &str) -> Result<Value, ODataError> {
    let unquoted = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\''));
    if path.is_time() {
        let bare = unquoted.unwrap_or(text);
        let bare = bare
            .strip_prefix("datetime")
            .map_or(bare, |b| b.trim_matches('\''));
        return parse_datetime(bare)
            .map(|_| Value::String(bare.to_owned()))
            .ok_or_else(|| {
                ODataError(format!(
                    "$filter: '{text}' is not a date and time for {}",
                    path.0
                ))
            });
    }
    if let Some(text) = unquoted {
        return Ok(Value::String(text.replace("''", "'")));
    }
    text.parse::<i64>().map(Value::from).map_err(|_| {
        ODataError(format!(
            "$filter: '{text}' is neither a quoted string nor a number"
        ))
    })
}

/// Splits a filter into words, keeping quoted strings (with `''` escapes) whole.
fn filter_tokens(text: &str) -> Result<Vec<String>, ODataError> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if quoted && chars.peek() == Some(&'\'') => {
                current.push_str("''");
                chars.next();
            }
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            '(' | ')' if !quoted => {
                return Err(ODataError(
                    "$filter: parentheses are not supported; join conditions with 'and'".into(),
                ));
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err(ODataError(format!(
            "$filter: unterminated string in '{text}'"
        )));
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn incident(name: &str, created: &str, status: &str) -> Incident {
        serde_json::from_value(json!({"name": name, "properties": {"title": name, "status": status, "severity": "High", "createdTimeUtc": created, "lastModifiedTimeUtc": created}})).unwrap()
    }

    fn names(page: &[Incident]) -> Vec<String> {
        page.iter()
            .map(|i| i.name.get().cloned().unwrap())
            .collect()
    }

    fn sample() -> Vec<Incident> {
        vec![
            incident("a", "2024-01-01T00:00:00Z", "New"),
            incident("b", "2024-01-02T00:00:00Z", "Active"),
            incident("c", "2024-01-03T00:00:00Z", "New"),
            incident("d", "2024-01-03T00:00:00Z", "Closed"),
        ]
    }

    #[test]
    fn filters_on_times_and_status() {
        let options = ListOptions::parse(
            Some(
                "properties/createdTimeUtc ge 2024-01-02T00:00:00Z and properties/status eq 'New'",
            ),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(names(&options.page(sample()).0), ["c"]);
        let options = ListOptions::parse(
            Some("properties/lastModifiedTimeUtc lt 2024-01-02T00:00:00Z"),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(names(&options.page(sample()).0), ["a"]);
    }

    #[test]
    fn pages_by_key_without_repeats_when_items_arrive_between_pages() {
        let options =
            ListOptions::parse(None, Some("properties/createdTimeUtc asc"), Some("2"), None)
                .unwrap();
        let (first, token) = options.page(sample());
        assert_eq!(names(&first), ["a", "b"]);
        let mut more = sample();
        more.push(incident("0", "2023-12-31T00:00:00Z", "New"));
        let next = ListOptions::parse(
            None,
            Some("properties/createdTimeUtc asc"),
            Some("2"),
            token.as_deref(),
        )
        .unwrap();
        let (second, token) = next.page(more);
        assert_eq!(names(&second), ["c", "d"]);
        assert_eq!(token, None);
    }

    #[test]
    fn default_order_is_newest_first_with_name_as_tie_breaker() {
        let options = ListOptions::parse(None, None, None, None).unwrap();
        assert_eq!(names(&options.page(sample()).0), ["c", "d", "b", "a"]);
    }

    #[test]
    fn bad_options_name_the_problem() {
        for (filter, needle) in [
            ("properties/owner eq 'x'", "properties/owner"),
            ("properties/status has 'x'", "has"),
            ("properties/createdTimeUtc gt yesterday", "yesterday"),
            ("(properties/status eq 'New')", "parentheses"),
        ] {
            let err = ListOptions::parse(Some(filter), None, None, None).unwrap_err();
            assert!(err.0.contains(needle), "{err}");
        }
        assert!(ListOptions::parse(None, None, Some("0"), None).is_err());
        assert!(ListOptions::parse(None, None, None, Some("!!")).is_err());
        assert!(ListOptions::parse(None, Some("name sideways"), None, None).is_err());
    }
}
