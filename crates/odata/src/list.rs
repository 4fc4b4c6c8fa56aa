//! The list options around `$filter`: `$top`, `$skip`, `$orderby`, `$count`, `$select`, `$expand`
//! (with `$select` and `$filter` nested inside, as in `alerts($select=id,title;$filter=...)`) and the
//! `$skiptoken` continuation that `@odata.nextLink` carries.
//!
//! Paging is keyset paging: a continuation names the sort key and id of the last item served, so a
//! client walking `@odata.nextLink` neither skips nor repeats an item while others write.

use std::fmt;

use crate::QueryError;
use crate::filter::{self, Dialect, FilterField, Param, SqlFilter};
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
    /// Properties `$select` may name.
    pub selectable: &'static [&'static str],
    /// Relationships `$expand` may name.
    pub expandable: &'static [Expandable],
}

/// A relationship `$expand` may name, and what its nested options may use.
#[derive(Debug, Clone, Copy)]
pub struct Expandable {
    /// The navigation property, such as `alerts`.
    pub name: &'static str,
    /// The listing of the related items: its filter fields and selectable properties.
    pub spec: &'static ListSpec,
}

/// One relationship named by `$expand`, with its nested options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The navigation property, as the spec spells it.
    pub name: String,
    /// The nested `$select`, as the related spec spells each property.
    pub select: Option<Vec<String>>,
    /// The nested `$filter`, rendered for the related listing.
    pub filter: Option<SqlFilter>,
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
    /// `$select`: the properties asked for, as the spec spells them (`None`: every property).
    pub select: Option<Vec<String>>,
    /// Relationships named by `$expand`.
    pub expand: Vec<Expansion>,
    /// The continuation from `$skiptoken`.
    pub cursor: Option<Cursor>,
    /// The query options other than `$skip` and `$skiptoken`, to rebuild `@odata.nextLink`.
    pub carried: Vec<(String, String)>,
}

impl ListQuery {
    /// Parses the raw (percent-encoded) query string of a list request, rendering `$filter` for a
    /// store that speaks `dialect`. Without `$orderby`, the list is newest first: `spec`'s first order
    /// field, descending.
    pub fn parse(
        raw: Option<&str>,
        spec: &ListSpec,
        dialect: &dyn Dialect,
    ) -> Result<Self, QueryError> {
        Self::parse_in_order(raw, spec, dialect, Direction::Desc)
    }

    /// Parses like [`ListQuery::parse`], for a list whose default order is `spec`'s first order field
    /// in `default_direction` (a thread of comments reads oldest first).
    pub fn parse_in_order(
        raw: Option<&str>,
        spec: &ListSpec,
        dialect: &dyn Dialect,
        default_direction: Direction,
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
                direction: default_direction,
            },
            count: false,
            select: None,
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
                "$select" => query.select = parse_select("$select", &value, spec)?,
                "$expand" => query.expand = parse_expand(&value, spec, dialect)?,
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

    /// Narrows the listing to rows that also meet `condition` (a parent's key, for a navigation such as
    /// `/incidents/{id}/alerts`), after any `$filter`.
    pub fn and_filter(&mut self, condition: SqlFilter) {
        self.filter = Some(match self.filter.take() {
            None => condition,
            Some(filter) => {
                let mut params = filter.params;
                params.extend(condition.params);
                SqlFilter {
                    sql: format!("({} AND {})", filter.sql, condition.sql),
                    params,
                }
            }
        });
    }

    /// The `ORDER BY` terms of this listing over a table whose row sequence (the tie-breaker, unique
    /// per row) is the column `seq`: the sort key, then the sequence, both in the listing's direction.
    pub fn order_by(&self, seq: &str) -> String {
        let direction = self.order.direction;
        format!("{} {direction}, {seq} {direction}", self.order.field.column)
    }

    /// The condition that keeps only the rows after `$skiptoken`'s cursor in [`ListQuery::order_by`]'s
    /// order, as one row-value comparison an index on `(sort key, seq)` serves; `None` on a first page.
    /// `bound` values are bound before it, for dialects that number their placeholders.
    pub fn after_cursor(
        &self,
        seq: &str,
        dialect: &dyn Dialect,
        bound: usize,
    ) -> Option<SqlFilter> {
        let cursor = self.cursor?;
        let comparison = match self.order.direction {
            Direction::Asc => ">",
            Direction::Desc => "<",
        };
        let (key, after) = (
            dialect.placeholder(bound + 1),
            dialect.placeholder(bound + 2),
        );
        Some(SqlFilter {
            sql: format!(
                "({}, {seq}) {comparison} ({key}, {after})",
                self.order.field.column
            ),
            params: vec![Param::Integer(cursor.key), Param::Integer(cursor.seq)],
        })
    }

    /// Whether `$expand` names `relationship`.
    pub fn expands(&self, relationship: &str) -> bool {
        self.expansion(relationship).is_some()
    }

    /// The expansion of `relationship`, when `$expand` names it.
    pub fn expansion(&self, relationship: &str) -> Option<&Expansion> {
        self.expand
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(relationship))
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

/// `$select`: a comma-separated list of the spec's properties (`*` for all of them).
fn parse_select(
    option: &str,
    value: &str,
    spec: &ListSpec,
) -> Result<Option<Vec<String>>, QueryError> {
    let mut names = Vec::new();
    for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "*" {
            return Ok(None);
        }
        let known = spec
            .selectable
            .iter()
            .find(|p| p.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                QueryError::new(option, format!("Could not find a property named '{name}'"))
            })?;
        names.push((*known).to_owned());
    }
    Ok(Some(names))
}

/// `$expand`: comma-separated relationships, each optionally followed by nested options in
/// parentheses (`alerts($select=id,title;$filter=status eq 'new')`).
fn parse_expand(
    value: &str,
    spec: &ListSpec,
    dialect: &dyn Dialect,
) -> Result<Vec<Expansion>, QueryError> {
    split_top_level("$expand", value, ',')?
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| parse_expansion(item, spec, dialect))
        .collect()
}

fn parse_expansion(
    item: &str,
    spec: &ListSpec,
    dialect: &dyn Dialect,
) -> Result<Expansion, QueryError> {
    let (name, options) = match item.split_once('(') {
        Some((name, rest)) => match rest.strip_suffix(')') {
            Some(options) => (name.trim(), options),
            None => return Err(expand_error(format!("'{item}' is missing its closing ')'"))),
        },
        None => (item, ""),
    };
    let target = spec
        .expandable
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| expand_error(format!("'{name}' cannot be expanded")))?;
    let mut expansion = Expansion {
        name: target.name.to_owned(),
        select: None,
        filter: None,
    };
    for option in split_top_level("$expand", options, ';')? {
        let (key, value) = option
            .split_once('=')
            .ok_or_else(|| expand_error(format!("'{option}' is not an option=value pair")))?;
        match key.trim().to_ascii_lowercase().as_str() {
            "$select" => expansion.select = parse_select("$expand", value, target.spec)?,
            "$filter" => {
                let expr = filter::parse(value)
                    .map_err(|e| expand_error(format!("$filter: {}", e.message)))?;
                let sql = filter::to_sql(&expr, target.spec.filter_fields, dialect)
                    .map_err(|e| expand_error(format!("$filter: {}", e.message)))?;
                expansion.filter = Some(sql);
            }
            _ => {
                return Err(expand_error(format!(
                    "'{}' is not supported inside $expand; use $select or $filter",
                    key.trim()
                )));
            }
        }
    }
    Ok(expansion)
}

/// Splits `text` at each `separator` outside parentheses and quoted strings.
fn split_top_level<'t>(
    option: &str,
    text: &'t str,
    separator: char,
) -> Result<Vec<&'t str>, QueryError> {
    let unbalanced = || QueryError::new(option, format!("'{text}' has unbalanced parentheses"));
    let (mut parts, mut depth, mut quoted, mut start) = (Vec::new(), 0usize, false, 0);
    for (at, ch) in text.char_indices() {
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.checked_sub(1).ok_or_else(unbalanced)?,
            c if c == separator && !quoted && depth == 0 => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(unbalanced());
    }
    parts.push(&text[start..]);
    Ok(parts.into_iter().filter(|p| !p.trim().is_empty()).collect())
}

fn expand_error(message: String) -> QueryError {
    QueryError::new("$expand", message)
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

    const STATUS: &[FilterField] = &[FilterField {
        property: "status",
        column: "status",
        kind: FieldKind::Text,
    }];

    const CHILD: ListSpec = ListSpec {
        filter_fields: STATUS,
        order_fields: &[OrderField {
            property: "createdDateTime",
            column: "seq",
        }],
        default_top: 10,
        max_top: 10,
        selectable: &["id", "title", "status"],
        expandable: &[],
    };

    const SPEC: ListSpec = ListSpec {
        filter_fields: STATUS,
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
        selectable: &["id", "displayName", "status"],
        expandable: &[Expandable {
            name: "alerts",
            spec: &CHILD,
        }],
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
    fn continuations_render_as_one_row_value_comparison() {
        let first = parse("$orderby=lastUpdateDateTime").unwrap();
        assert_eq!(first.order_by("seq"), "last_update_ns ASC, seq ASC");
        assert_eq!(first.after_cursor("seq", &Sqlite, 0), None);
        let next = parse(&first.next_query(&Cursor { key: 5, seq: 2 })).unwrap();
        let after = next.after_cursor("seq", &Sqlite, 1).unwrap();
        assert_eq!(after.sql, "(last_update_ns, seq) > (?, ?)");
        assert_eq!(
            after.params,
            vec![
                crate::filter::Param::Integer(5),
                crate::filter::Param::Integer(2)
            ]
        );
        let newest = parse("$skiptoken=createdDateTime.9.4").unwrap();
        assert_eq!(newest.order_by("seq"), "created_ns DESC, seq DESC");
        assert_eq!(
            newest.after_cursor("seq", &Sqlite, 0).unwrap().sql,
            "(created_ns, seq) < (?, ?)"
        );
    }

    #[test]
    fn the_default_direction_is_the_callers() {
        let oldest = ListQuery::parse_in_order(None, &SPEC, &Sqlite, Direction::Asc).unwrap();
        assert_eq!(oldest.order.direction, Direction::Asc);
        assert_eq!(oldest.order.field.property, "createdDateTime");
        let asked = ListQuery::parse_in_order(
            Some("$orderby=createdDateTime desc"),
            &SPEC,
            &Sqlite,
            Direction::Asc,
        )
        .unwrap();
        assert_eq!(asked.order.direction, Direction::Desc);
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
            ("$select=id,nope", "$select"),
            ("$expand=alerts($select=id,nope)", "$expand"),
            ("$expand=alerts($top=1)", "$expand"),
            ("$expand=alerts($filter=title eq 'x')", "$expand"),
            ("$expand=alerts($select=id", "$expand"),
            ("$expand=alerts($select=id))", "$expand"),
            ("$expand=alerts(x)", "$expand"),
        ];
        for (raw, option) in cases {
            let err = parse(raw).unwrap_err();
            assert_eq!(err.option, option, "{raw}");
        }
    }

    #[test]
    fn select_names_properties_as_the_spec_spells_them() {
        let q = parse("$select=ID, displayname,status").unwrap();
        assert_eq!(
            q.select,
            Some(vec!["id".into(), "displayName".into(), "status".into()])
        );
        assert_eq!(parse("$select=*").unwrap().select, None);
        let err = parse("$select=id,bogus").unwrap_err();
        assert!(err.message.contains("'bogus'"), "{err}");
        assert!(
            parse("$select=id")
                .unwrap()
                .carried
                .iter()
                .any(|(k, _)| k == "$select")
        );
    }

    #[test]
    fn expand_keeps_commas_inside_parentheses() {
        let raw = "$expand=Alerts($select=id,title;$filter=status in ('new','a;b,c'))";
        let q = parse(raw).unwrap();
        let alerts = q.expansion("alerts").unwrap();
        assert_eq!(alerts.name, "alerts");
        assert_eq!(alerts.select, Some(vec!["id".into(), "title".into()]));
        let filter = alerts.filter.as_ref().unwrap();
        assert_eq!(filter.sql, "status COLLATE NOCASE IN (?, ?)");
        assert_eq!(filter.params[1], crate::filter::Param::Text("a;b,c".into()));
        let plain = parse("$expand=alerts").unwrap();
        assert_eq!(plain.expansion("alerts").unwrap().select, None);
        assert_eq!(q.expand.len(), 1);
    }
}
