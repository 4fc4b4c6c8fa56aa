//! The list options around `$filter`: `$top`, `$skip`, `$orderby`, `$count`, `$expand` and the
//! `$skiptoken` continuation that `@odata.nextLink` carries.
//!
//! Paging is keyset paging: a continuation names the sort key and id of the last item served, so a
//! client walking `@odata.nextLink` neither skips nor repeats an item while others write.

use std::fmt;

use crate::QueryError;
use crate::filter::{self, Dialect, FilterField, SqlFilter};
use crate::limits::MAX_COUNT;

/// A property `$orderby` may name; every such column holds an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderField {
    /// The Graph property name.
    pub property: &'static str,
    /// The SQL column (an integer: nanoseconds, a rank or the sequence).
    pub column: &'static str,
}

/// What one list endpoint supports.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    /// Properties `$filter` may name.
    pub filter_fields: &'static [FilterField],
    /// Properties `$orderby` may name; the first is the default order (descending).
    pub order_fields: &'static [OrderField],
    /// Page size without `$top`.
    pub default_top: usize,
    /// Largest page served; a larger `$top` is capped.
    pub max_top: usize,
    /// Relationships `$expand` may name.
    pub expandable: &'static [&'static str],
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// The order of a listing: one property, ties broken by the row sequence in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The property sorted on.
    pub field: OrderField,
    /// The direction.
    pub direction: Direction,
}

/// Where the previous page ended: the sort key and sequence of its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last item served.
    pub key: i64,
    /// The row sequence of the last item served.
    pub seq: i64,
}

impl Cursor {
    /// The `$skiptoken` text for this cursor under `order`.
    pub fn token(&self, order: &Order) -> String {
        format!("{}.{}.{}", order.field.property, self.key, self.seq)
    }

    fn parse(token: &str, order: &Order) -> Result<Self, QueryError> {
        let bad = || {
            QueryError::new(
                "$skiptoken",
                format!("'{token}' is not a token this listing issued"),
            )
        };
        let mut parts = token.split('.');
        let (Some(property), Some(key), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if property != order.field.property {
            return Err(bad());
        }
        Ok(Cursor {
            key: key.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

/// The parsed query options of one list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// `$filter` as an SQL condition and its bound values.
    pub filter: Option<SqlFilter>,
    /// Page size after defaults and caps.
    pub top: usize,
    /// `$skip` (applies before the first page only; continuations are keyset-based).
    pub skip: usize,
    /// `$orderby`, or the default order.
    pub order: Order,
    /// `$count=true`.
    pub count: bool,
    /// Relationships named by `$expand`.
    pub expand: Vec<String>,
    /// The continuation from `$skiptoken`.
    pub cursor: Option<Cursor>,
    /// The query options other than `$skip` and `$skiptoken`, to rebuild `@odata.nextLink`.
    pub carried: Vec<(String, String)>,
}

impl ListQuery {
    /// Parses the raw (percent-encoded) query string of a list request, rendering `$filter` for a
    /// store that speaks `dialect`.
    pub fn parse(
        raw: Option<&str>,
        spec: &ListSpec,
        dialect: &dyn Dialect,
    ) -> Result<Self, QueryError> {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let mut query = ListQuery {
            filter: None,
            top: spec.default_top,
            skip: 0,
            order: Order {
                field: spec.order_fields[0],
                direction: Direction::Desc,
            },
            count: false,
            expand: Vec::new(),
            cursor: None,
            carried: Vec::new(),
        };
        let mut token = None;
        for (name, value) in pairs {
            let option = name.to_ascii_lowercase();
            match option.as_str() {
                "$filter" => {
                    let expr = filter::parse(&value)?;
                    query.filter = Some(filter::to_sql(&expr, spec.filter_fields, dialect)?);
                }
                "$top" => query.top = parse_count("$top", &value)?.min(spec.max_top).max(1),
                "$skip" => query.skip = parse_count("$skip", &value)?,
                "$orderby" => query.order = parse_order(&value, spec)?,
                "$count" => query.count = parse_bool("$count", &value)?,
                "$expand" => query.expand = parse_expand(&value, spec)?,
                "$skiptoken" => token = Some(value.clone()),
                other if other.starts_with('$') => {
                    return Err(QueryError::new(
                        &name,
                        format!("query option '{name}' is not supported"),
                    ));
                }
                _ => {}
            }
            if option != "$skip" && option != "$skiptoken" {
                query.carried.push((name, value));
            }
        }
        if let Some(token) = token {
            query.cursor = Some(Cursor::parse(&token, &query.order)?);
            query.skip = 0;
        }
        Ok(query)
    }

    /// Whether `$expand` names `relationship`.
    pub fn expands(&self, relationship: &str) -> bool {
        self.expand
            .iter()
            .any(|e| e.eq_ignore_ascii_case(relationship))
    }

    /// The query string of the next page (percent-encoded), continuing after `cursor`.
    pub fn next_query(&self, cursor: &Cursor) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.carried {
            out.append_pair(name, value);
        }
        out.append_pair("$skiptoken", &cursor.token(&self.order));
        out.finish()
    }
}

/// A non-negative integer option, at most [`MAX_COUNT`], so it binds into SQL without wrapping.
fn parse_count(option: &str, value: &str) -> Result<usize, QueryError> {
    let bad = || {
        QueryError::new(
            option,
            format!("'{value}' is not an integer from 0 to {MAX_COUNT}"),
        )
    };
    let count: u64 = value.trim().parse().map_err(|_| bad())?;
    if count > MAX_COUNT {
        return Err(bad());
    }
    usize::try_from(count).map_err(|_| bad())
}

fn parse_bool(option: &str, value: &str) -> Result<bool, QueryError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(QueryError::new(
            option,
            format!("'{value}' is not true or false"),
        )),
    }
}

fn parse_order(value: &str, spec: &ListSpec) -> Result<Order, QueryError> {
    let mut words = value.split_whitespace();
    let property = words
        .next()
        .ok_or_else(|| QueryError::new("$orderby", "no property given"))?;
    let field = *spec
        .order_fields
        .iter()
        .find(|f| f.property.eq_ignore_ascii_case(property))
        .ok_or_else(|| {
            let known: Vec<&str> = spec.order_fields.iter().map(|f| f.property).collect();
            QueryError::new(
                "$orderby",
                format!(
                    "'{property}' cannot be sorted on; use one of {}",
                    known.join(", ")
                ),
            )
        })?;
    let direction = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => Direction::Asc,
        Some("desc") => Direction::Desc,
        Some(other) => {
            return Err(QueryError::new(
                "$orderby",
                format!("'{other}' is not asc or desc"),
            ));
        }
    };
    match words.next() {
        None => Ok(Order { field, direction }),
        Some(extra) => Err(QueryError::new(
            "$orderby",
            format!("'{extra}' is unexpected; sort on one property"),
        )),
    }
}

fn parse_expand(value: &str, spec: &ListSpec) -> Result<Vec<String>, QueryError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            if spec.expandable.iter().any(|e| e.eq_ignore_ascii_case(name)) {
                Ok(name.to_owned())
            } else {
                Err(QueryError::new(
                    "$expand",
                    format!("'{name}' cannot be expanded"),
                ))
            }
        })
        .collect()
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{FieldKind, Sqlite};

    fn parse(raw: &str) -> Result<ListQuery, QueryError> {
        ListQuery::parse(Some(raw), &SPEC, &Sqlite)
    }

    const SPEC: ListSpec = ListSpec {
        filter_fields: &[FilterField {
            property: "status",
            column: "status",
            kind: FieldKind::Text,
        }],
        order_fields: &[
            OrderField {
                property: "createdDateTime",
                column: "created_ns",
            },
            OrderField {
                property: "lastUpdateDateTime",
                column: "last_update_ns",
            },
        ],
        default_top: 50,
        max_top: 50,
        expandable: &["alerts"],
    };

    #[test]
    fn defaults_apply_without_options() {
        let q = ListQuery::parse(None, &SPEC, &Sqlite).unwrap();
        assert_eq!((q.top, q.skip, q.count), (50, 0, false));
        assert_eq!(q.order.field.property, "createdDateTime");
        assert_eq!(q.order.direction, Direction::Desc);
    }

    #[test]
    fn options_are_read_and_top_is_capped() {
        let raw = "$top=500&$skip=3&$count=true&$expand=alerts&$orderby=lastUpdateDateTime%20desc&$filter=status+eq+'active'";
        let q = parse(raw).unwrap();
        assert_eq!((q.top, q.skip, q.count), (50, 3, true));
        assert!(q.expands("Alerts"));
        assert_eq!(q.order.field.column, "last_update_ns");
        assert!(q.filter.is_some());
    }

    #[test]
    fn next_query_carries_options_and_replaces_skip() {
        let q = parse("$top=5&$skip=10&$orderby=lastUpdateDateTime").unwrap();
        let next = q.next_query(&Cursor { key: 99, seq: 7 });
        assert_eq!(
            next,
            "%24top=5&%24orderby=lastUpdateDateTime&%24skiptoken=lastUpdateDateTime.99.7"
        );
        let again = parse(&next).unwrap();
        assert_eq!(again.cursor, Some(Cursor { key: 99, seq: 7 }));
        assert_eq!((again.skip, again.top), (0, 5));
    }

    #[test]
    fn bad_options_name_themselves() {
        let cases = [
            ("$top=ten", "$top"),
            ("$skip=-1", "$skip"),
            ("$skip=18446744073709551615", "$skip"),
            ("$skip=2147483648", "$skip"),
            ("$top=99999999999999999999", "$top"),
            ("$count=maybe", "$count"),
            ("$orderby=title", "$orderby"),
            ("$orderby=createdDateTime sideways", "$orderby"),
            ("$expand=evidence", "$expand"),
            ("$skiptoken=garbage", "$skiptoken"),
            (
                "$orderby=createdDateTime&$skiptoken=lastUpdateDateTime.1.2",
                "$skiptoken",
            ),
            ("$search=x", "$search"),
            ("$filter=title eq 'x'", "$filter"),
        ];
        for (raw, option) in cases {
            let err = parse(raw).unwrap_err();
            assert_eq!(err.option, option, "{raw}");
        }
    }
}
