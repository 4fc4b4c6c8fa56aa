//! Runs a parsed [`Query`] over an in-memory [`Table`], operator by operator.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::Value;

use super::KqlError;
use super::ast::{CompareOp, Expr, Literal, Operator, Query, SortKey};
use crate::schema::{Column, ColumnType, TableSchema, format_datetime, parse_datetime};

/// A value inside the engine, typed by its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (`int` and `long`).
    Long(i64),
    /// A real number.
    Real(f64),
    /// Text (`string`, `guid`, `timespan` columns).
    Str(String),
    /// A point in time.
    Datetime(DateTime<Utc>),
    /// A duration in seconds (from a literal such as `1d`).
    Timespan(f64),
    /// A `dynamic` value.
    Dynamic(Value),
}

impl Scalar {
    /// Reads a stored JSON value of a column of type `kind`.
    pub fn from_stored(kind: ColumnType, value: &Value) -> Scalar {
        match (kind, value) {
            (_, Value::Null) => Scalar::Null,
            (ColumnType::Dynamic, v) => Scalar::Dynamic(v.clone()),
            (ColumnType::Datetime, Value::String(s)) => {
                parse_datetime(s).map_or(Scalar::Str(s.clone()), Scalar::Datetime)
            }
            (ColumnType::Int | ColumnType::Long, v) if v.is_i64() => {
                Scalar::Long(v.as_i64().unwrap_or_default())
            }
            (_, Value::Bool(b)) => Scalar::Bool(*b),
            (_, Value::Number(n)) => {
                n.as_i64()
                    .map_or(Scalar::Real(n.as_f64().unwrap_or(f64::NAN)), |i| {
                        if kind == ColumnType::Real {
                            Scalar::Real(i as f64)
                        } else {
                            Scalar::Long(i)
                        }
                    })
            }
            (_, Value::String(s)) => Scalar::Str(s.clone()),
            (_, v) => Scalar::Dynamic(v.clone()),
        }
    }

    /// The value as the query API writes it in a result row. `dynamic` values travel as JSON text,
    /// as Log Analytics sends them.
    pub fn to_json(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Long(n) => Value::from(*n),
            Scalar::Real(n) => Value::from(*n),
            Scalar::Str(s) => Value::String(s.clone()),
            Scalar::Datetime(t) => Value::String(format_datetime(*t)),
            Scalar::Timespan(s) => Value::String(format_timespan(*s)),
            Scalar::Dynamic(Value::String(s)) => Value::String(s.clone()),
            Scalar::Dynamic(v) => Value::String(v.to_string()),
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Scalar::Null => None,
            Scalar::Str(s) | Scalar::Dynamic(Value::String(s)) => Some(s.clone()),
            other => other
                .to_json()
                .as_str()
                .map(str::to_owned)
                .or_else(|| Some(other.to_json().to_string())),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Long(n) => Some(*n as f64),
            Scalar::Real(n) => Some(*n),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Dynamic(v) => v.as_f64(),
            _ => None,
        }
    }

    fn instant(&self) -> Option<DateTime<Utc>> {
        match self {
            Scalar::Datetime(t) => Some(*t),
            Scalar::Str(s) | Scalar::Dynamic(Value::String(s)) => parse_datetime(s),
            _ => None,
        }
    }

    /// A rank per kind so that values of different kinds still sort in a fixed order.
    fn rank(&self) -> u8 {
        match self {
            Scalar::Null => 0,
            Scalar::Bool(_) => 1,
            Scalar::Long(_) | Scalar::Real(_) => 2,
            Scalar::Timespan(_) => 3,
            Scalar::Datetime(_) => 4,
            Scalar::Str(_) => 5,
            Scalar::Dynamic(_) => 6,
        }
    }
}

/// `d.hh:mm:ss`-style text for a duration in seconds.
fn format_timespan(seconds: f64) -> String {
    let total = seconds.abs().round() as i64;
    let sign = if seconds < 0.0 { "-" } else { "" };
    let (days, rest) = (total / 86_400, total % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    if days > 0 {
        format!("{sign}{days}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

/// Orders two values: nulls first, then by kind, then by value.
fn order(a: &Scalar, b: &Scalar) -> Ordering {
    if let (Some(x), Some(y)) = (numeric(a), numeric(b)) {
        return x.total_cmp(&y);
    }
    match (a, b) {
        (Scalar::Datetime(x), Scalar::Datetime(y)) => x.cmp(y),
        (Scalar::Str(x), Scalar::Str(y)) => x.cmp(y),
        (Scalar::Bool(x), Scalar::Bool(y)) => x.cmp(y),
        (Scalar::Timespan(x), Scalar::Timespan(y)) => x.total_cmp(y),
        _ if a.rank() != b.rank() => a.rank().cmp(&b.rank()),
        _ => a.to_json().to_string().cmp(&b.to_json().to_string()),
    }
}

fn numeric(value: &Scalar) -> Option<f64> {
    match value {
        Scalar::Long(n) => Some(*n as f64),
        Scalar::Real(n) => Some(*n),
        _ => None,
    }
}

/// A table of typed rows: what a query reads and what it returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one value per column.
    pub rows: Vec<Vec<Scalar>>,
}

impl Table {
    /// A table of `schema`'s columns holding stored JSON rows (members missing from a row are null).
    pub fn from_stored(schema: &TableSchema, rows: &[serde_json::Map<String, Value>]) -> Table {
        let rows = rows
            .iter()
            .map(|row| {
                schema
                    .columns
                    .iter()
                    .map(|c| Scalar::from_stored(c.kind, row.get(&c.name).unwrap_or(&Value::Null)))
                    .collect()
            })
            .collect();
        Table {
            columns: schema.columns.clone(),
            rows,
        }
    }

    fn position(&self, column: &str) -> Result<usize, KqlError> {
        self.columns
            .iter()
            .position(|c| c.name == column)
            .ok_or_else(|| KqlError::UnknownColumn(column.to_owned()))
    }
}

/// Runs every operator of `query` over `table`, with `now` as the reference for `ago()` and `now()`.
pub fn execute(query: &Query, mut table: Table, now: DateTime<Utc>) -> Result<Table, KqlError> {
    for operator in &query.operators {
        table = match operator {
            Operator::Where(predicate) => filter(table, predicate, now)?,
            Operator::Project(columns) => project(table, columns)?,
            Operator::Take(n) => {
                table.rows.truncate(*n);
                table
            }
            Operator::Sort(keys) => sort(table, keys)?,
            Operator::Summarize { count_column, by } => summarize(table, count_column, by)?,
        };
    }
    Ok(table)
}

fn filter(mut table: Table, predicate: &Expr, now: DateTime<Utc>) -> Result<Table, KqlError> {
    let positions = column_positions(&table, predicate)?;
    let scope = Scope {
        positions: &positions,
        now,
    };
    let mut kept = Vec::with_capacity(table.rows.len());
    for row in table.rows {
        if scope.eval(predicate, &row)? == Scalar::Bool(true) {
            kept.push(row);
        }
    }
    table.rows = kept;
    Ok(table)
}

/// The positions of every column `expr` names; fails on the first one the table lacks.
fn column_positions(table: &Table, expr: &Expr) -> Result<HashMap<String, usize>, KqlError> {
    let mut names = Vec::new();
    collect_columns(expr, &mut names);
    names
        .into_iter()
        .map(|name| table.position(name).map(|i| (name.to_owned(), i)))
        .collect()
}

fn collect_columns<'e>(expr: &'e Expr, names: &mut Vec<&'e str>) {
    match expr {
        Expr::Column(name) => names.push(name),
        Expr::Literal(_) | Expr::Now => {}
        Expr::Compare { left, right, .. } | Expr::And(left, right) | Expr::Or(left, right) => {
            collect_columns(left, names);
            collect_columns(right, names);
        }
        Expr::In { value, list, .. } => {
            collect_columns(value, names);
            list.iter().for_each(|e| collect_columns(e, names));
        }
        Expr::Not(inner) | Expr::Ago(inner) => collect_columns(inner, names),
    }
}

struct Scope<'a> {
    positions: &'a HashMap<String, usize>,
    now: DateTime<Utc>,
}

impl Scope<'_> {
    fn eval(&self, expr: &Expr, row: &[Scalar]) -> Result<Scalar, KqlError> {
        Ok(match expr {
            Expr::Column(name) => row[self.positions[name]].clone(),
            Expr::Literal(literal) => literal_value(literal)?,
            Expr::Now => Scalar::Datetime(self.now),
            Expr::Ago(span) => match self.eval(span, row)? {
                Scalar::Timespan(seconds) => {
                    Scalar::Datetime(before(self.now, seconds).ok_or_else(|| {
                        KqlError::Type(format!(
                            "ago() of {seconds} seconds reaches outside the range of datetime"
                        ))
                    })?)
                }
                other => {
                    return Err(KqlError::Type(format!(
                        "ago() takes a timespan such as 1d, 2h, 30m or 10s, got {}",
                        other.to_json()
                    )));
                }
            },
            Expr::Not(inner) => match self.eval(inner, row)? {
                Scalar::Bool(b) => Scalar::Bool(!b),
                _ => Scalar::Null,
            },
            Expr::And(a, b) => {
                let truth = self.eval(a, row)? == Scalar::Bool(true)
                    && self.eval(b, row)? == Scalar::Bool(true);
                Scalar::Bool(truth)
            }
            Expr::Or(a, b) => {
                let truth = self.eval(a, row)? == Scalar::Bool(true)
                    || self.eval(b, row)? == Scalar::Bool(true);
                Scalar::Bool(truth)
            }
            Expr::Compare { op, left, right } => {
                let (l, r) = (self.eval(left, row)?, self.eval(right, row)?);
                compare(*op, &l, &r).map_or(Scalar::Null, Scalar::Bool)
            }
            Expr::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value, row)?;
                if v == Scalar::Null {
                    return Ok(Scalar::Null);
                }
                let mut found = false;
                for candidate in list {
                    found |= compare(CompareOp::Eq, &v, &self.eval(candidate, row)?) == Some(true);
                }
                Scalar::Bool(found != *negated)
            }
        })
    }
}

/// `seconds` as a time delta (to the millisecond), or `None` when it does not fit one.
fn seconds_delta(seconds: f64) -> Option<TimeDelta> {
    let millis = (seconds * 1000.0).round();
    if !millis.is_finite() || millis.abs() >= i64::MAX as f64 {
        return None;
    }
    TimeDelta::try_milliseconds(millis as i64)
}

/// The instant `seconds` before `now` (what `ago()` means), or `None` outside the datetime range.
pub(crate) fn before(now: DateTime<Utc>, seconds: f64) -> Option<DateTime<Utc>> {
    now.checked_sub_signed(seconds_delta(seconds)?)
}

fn literal_value(literal: &Literal) -> Result<Scalar, KqlError> {
    Ok(match literal {
        Literal::Str(s) => Scalar::Str(s.clone()),
        Literal::Long(n) => Scalar::Long(*n),
        Literal::Real(n) => Scalar::Real(*n),
        Literal::Bool(b) => Scalar::Bool(*b),
        Literal::Timespan(s) => Scalar::Timespan(*s),
        Literal::Null => Scalar::Null,
        Literal::Datetime(text) => Scalar::Datetime(
            parse_datetime(text)
                .or_else(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc())
                })
                .ok_or_else(|| {
                    KqlError::Type(format!("datetime({text}) is not a date and time"))
                })?,
        ),
    })
}

/// Applies a comparison; `None` means the result is null (a null operand, or values that do not compare).
fn compare(op: CompareOp, left: &Scalar, right: &Scalar) -> Option<bool> {
    if *left == Scalar::Null || *right == Scalar::Null {
        return None;
    }
    let ordering = || typed_order(left, right);
    let lower = |s: &Scalar| s.text().map(|t| t.to_lowercase());
    Some(match op {
        CompareOp::Eq => ordering()? == Ordering::Equal,
        CompareOp::Ne => ordering()? != Ordering::Equal,
        CompareOp::Lt => ordering()? == Ordering::Less,
        CompareOp::Le => ordering()? != Ordering::Greater,
        CompareOp::Gt => ordering()? == Ordering::Greater,
        CompareOp::Ge => ordering()? != Ordering::Less,
        CompareOp::EqIgnoreCase => lower(left)? == lower(right)?,
        CompareOp::NeIgnoreCase => lower(left)? != lower(right)?,
        CompareOp::Contains => lower(left)?.contains(&lower(right)?),
        CompareOp::NotContains => !lower(left)?.contains(&lower(right)?),
        CompareOp::Has => has_term(&lower(left)?, &lower(right)?),
        CompareOp::NotHas => !has_term(&lower(left)?, &lower(right)?),
    })
}

/// Orders two values for a comparison, converting between kinds the way Log Analytics data needs
/// (numbers sent as text, datetimes as text); `None` when they do not compare.
fn typed_order(left: &Scalar, right: &Scalar) -> Option<Ordering> {
    match (left, right) {
        (Scalar::Datetime(_), _) | (_, Scalar::Datetime(_)) => {
            Some(left.instant()?.cmp(&right.instant()?))
        }
        (Scalar::Long(a), Scalar::Long(b)) => Some(a.cmp(b)),
        (Scalar::Long(_) | Scalar::Real(_), _) | (_, Scalar::Long(_) | Scalar::Real(_)) => {
            left.number()?.partial_cmp(&right.number()?)
        }
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        (Scalar::Timespan(a), Scalar::Timespan(b)) => a.partial_cmp(b),
        _ => Some(left.text()?.cmp(&right.text()?)),
    }
}

/// KQL's `has`: the needle is a whole term of the text (terms are runs of letters and digits).
fn has_term(text: &str, needle: &str) -> bool {
    if needle.chars().any(|c| !c.is_alphanumeric()) {
        return text.contains(needle);
    }
    text.split(|c: char| !c.is_alphanumeric())
        .any(|term| term == needle)
}

fn project(table: Table, columns: &[String]) -> Result<Table, KqlError> {
    let positions = columns
        .iter()
        .map(|c| table.position(c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Table {
        columns: positions
            .iter()
            .map(|&i| table.columns[i].clone())
            .collect(),
        rows: table
            .rows
            .into_iter()
            .map(|row| positions.iter().map(|&i| row[i].clone()).collect())
            .collect(),
    })
}

fn sort(mut table: Table, keys: &[SortKey]) -> Result<Table, KqlError> {
    let positions = keys
        .iter()
        .map(|k| table.position(&k.column).map(|i| (i, k.ascending)))
        .collect::<Result<Vec<_>, _>>()?;
    table.rows.sort_by(|a, b| {
        positions
            .iter()
            .map(|&(i, ascending)| {
                let o = order(&a[i], &b[i]);
                if ascending { o } else { o.reverse() }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    Ok(table)
}

fn summarize(table: Table, count_column: &str, by: &[String]) -> Result<Table, KqlError> {
    let positions = by
        .iter()
        .map(|c| table.position(c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut groups: Vec<(Vec<Scalar>, i64)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        let key: Vec<Scalar> = positions.iter().map(|&i| row[i].clone()).collect();
        let fingerprint = Value::Array(key.iter().map(Scalar::to_json).collect()).to_string();
        let slot = *index.entry(fingerprint).or_insert_with(|| {
            groups.push((key, 0));
            groups.len() - 1
        });
        groups[slot].1 += 1;
    }
    if by.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), 0));
    }
    let mut columns: Vec<Column> = positions
        .iter()
        .map(|&i| table.columns[i].clone())
        .collect();
    columns.push(Column::new(count_column, ColumnType::Long));
    let rows = groups
        .into_iter()
        .map(|(mut key, count)| {
            key.push(Scalar::Long(count));
            key
        })
        .collect();
    Ok(Table { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::parser::parse;
    use serde_json::json;

    fn sample() -> Table {
        let schema = TableSchema {
            name: "T".into(),
            columns: vec![
                Column::new("TimeGenerated", ColumnType::Datetime),
                Column::new("Host", ColumnType::String),
                Column::new("Level", ColumnType::Long),
                Column::new("Tags", ColumnType::Dynamic),
            ],
        };
        let rows: Vec<_> = [
            json!({"TimeGenerated": "2024-05-01T10:00:00.0000000Z", "Host": "web-01.contoso.com", "Level": 3, "Tags": ["a"]}),
            json!({"TimeGenerated": "2024-05-01T11:00:00.0000000Z", "Host": "db-01", "Level": 5}),
            json!({"TimeGenerated": "2024-04-01T00:00:00.0000000Z", "Host": "web-02", "Level": 1}),
            json!({"TimeGenerated": "2024-05-01T11:30:00.0000000Z", "Host": null, "Level": 5}),
        ]
        .into_iter()
        .map(|v| v.as_object().cloned().unwrap())
        .collect();
        Table::from_stored(&schema, &rows)
    }

    fn run(text: &str) -> Result<Table, KqlError> {
        let now = parse_datetime("2024-05-01T12:00:00Z").unwrap();
        execute(&parse(text)?, sample(), now)
    }

    fn hosts(table: &Table) -> Vec<Value> {
        let i = table.position("Host").unwrap();
        table.rows.iter().map(|r| r[i].to_json()).collect()
    }

    #[test]
    fn where_with_ago_and_comparisons() {
        let t = run("T | where TimeGenerated > ago(1d) and Level >= 5").unwrap();
        assert_eq!(hosts(&t), vec![json!("db-01"), Value::Null]);
        let t = run("T | where Level < 3 or Host == 'db-01'").unwrap();
        assert_eq!(hosts(&t), vec![json!("db-01"), json!("web-02")]);
        let t = run("T | where TimeGenerated <= datetime(2024-04-30)").unwrap();
        assert_eq!(hosts(&t), vec![json!("web-02")]);
        let t = run("T | where Host != 'db-01'").unwrap();
        assert_eq!(hosts(&t).len(), 2, "null compares to nothing");
    }

    #[test]
    fn string_operators_and_in() {
        assert_eq!(
            hosts(&run("T | where Host contains 'WEB'").unwrap()).len(),
            2
        );
        assert_eq!(
            hosts(&run("T | where Host has 'contoso'").unwrap()),
            vec![json!("web-01.contoso.com")]
        );
        assert!(run("T | where Host has 'cont'").unwrap().rows.is_empty());
        assert_eq!(
            hosts(&run("T | where Host in ('db-01', 'web-02')").unwrap()).len(),
            2
        );
        assert_eq!(
            hosts(&run("T | where Host !in ('db-01', 'web-02')").unwrap()).len(),
            1
        );
        assert_eq!(hosts(&run("T | where Level in (1, 3)").unwrap()).len(), 2);
        assert_eq!(
            hosts(&run("T | where not(Host contains 'web')").unwrap()),
            vec![json!("db-01")]
        );
    }

    #[test]
    fn sort_project_take() {
        let t = run("T | sort by Level asc, Host desc | project Host, Level | take 3").unwrap();
        assert_eq!(
            t.columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["Host", "Level"]
        );
        assert_eq!(
            hosts(&t),
            vec![json!("web-02"), json!("web-01.contoso.com"), json!("db-01")]
        );
        let t = run("T | order by TimeGenerated").unwrap();
        assert_eq!(hosts(&t)[0], Value::Null, "descending by default");
    }

    #[test]
    fn summarize_counts_per_group() {
        let t = run("T | summarize count() by Level | sort by Level asc").unwrap();
        let rows: Vec<Vec<Value>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(Scalar::to_json).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![json!(1), json!(1)],
                vec![json!(3), json!(1)],
                vec![json!(5), json!(2)]
            ]
        );
        assert_eq!(t.columns[1], Column::new("count_", ColumnType::Long));
        let t = run("T | where Level > 100 | summarize n = count()").unwrap();
        assert_eq!(t.rows, vec![vec![Scalar::Long(0)]]);
    }

    #[test]
    fn unknown_columns_and_bad_types_are_errors() {
        assert!(
            matches!(run("T | where Nope == 1"), Err(KqlError::UnknownColumn(c)) if c == "Nope")
        );
        assert!(matches!(
            run("T | project Host, Nope"),
            Err(KqlError::UnknownColumn(_))
        ));
        assert!(matches!(
            run("T | where TimeGenerated > ago('x')"),
            Err(KqlError::Type(_))
        ));
    }

    #[test]
    fn dynamic_values_travel_as_json_text() {
        let t = run("T | where Host == 'web-01.contoso.com' | project Tags").unwrap();
        assert_eq!(t.rows[0][0].to_json(), json!("[\"a\"]"));
    }
}
