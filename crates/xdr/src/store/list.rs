//! Listing a table with `$filter`, `$orderby`, `$top`, `$skip`, `$count` and keyset continuation.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde::de::DeserializeOwned;

use super::StoreError;
use super::rows::{doc_rows, parse_doc};
use tandem_odata::filter::Param;
use tandem_odata::{Cursor, Direction, ListQuery};

/// A listable table: its name and its row-sequence column (the tie-breaker of every order).
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The SQL table.
    pub name: &'static str,
    /// Its integer row-sequence column.
    pub seq: &'static str,
}

/// One page of a listing of `T` (a Graph incident or alert).
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The row sequences and items on this page, in order.
    pub items: Vec<(i64, T)>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
    /// The number of matching rows across all pages, when `$count=true`.
    pub count: Option<i64>,
}

/// Lists `table` as `query` asks.
pub fn list<T: DeserializeOwned>(
    conn: &Connection,
    table: &Table,
    query: &ListQuery,
) -> Result<Page<T>, StoreError> {
    let column = query.order.field.column;
    let seq = table.seq;
    let (mut conditions, mut values) = filter_conditions(query);
    let count = if query.count {
        Some(count(conn, table, &conditions, &values)?)
    } else {
        None
    };
    if let Some(cursor) = &query.cursor {
        let cmp = match query.order.direction {
            Direction::Asc => ">",
            Direction::Desc => "<",
        };
        conditions.push(format!(
            "({column} {cmp} ? OR ({column} = ? AND {seq} {cmp} ?))"
        ));
        values.extend([
            SqlValue::Integer(cursor.key),
            SqlValue::Integer(cursor.key),
            SqlValue::Integer(cursor.seq),
        ]);
    }
    let direction = query.order.direction;
    let sql = format!(
        "SELECT {seq}, {column}, doc FROM {} {} ORDER BY {column} {direction}, {seq} {direction} LIMIT ? OFFSET ?",
        table.name,
        where_clause(&conditions)
    );
    values.push(SqlValue::Integer(query.top as i64 + 1));
    values.push(SqlValue::Integer(query.skip as i64));
    let mut items = Vec::new();
    let mut last = None;
    let mut more = false;
    for (seq, key, doc) in doc_rows(conn, &sql, values)? {
        if items.len() == query.top {
            more = true;
            break;
        }
        last = Some(Cursor { key, seq });
        items.push((seq, parse_doc(&doc)?));
    }
    Ok(Page {
        items,
        next: if more { last } else { None },
        count,
    })
}

/// The number of rows of `table` that `query`'s `$filter` keeps (`GET .../$count`).
pub fn count_matching(
    conn: &Connection,
    table: &Table,
    query: &ListQuery,
) -> Result<i64, StoreError> {
    let (conditions, values) = filter_conditions(query);
    count(conn, table, &conditions, &values)
}

/// `query`'s `$filter` as WHERE conditions and their bound values.
fn filter_conditions(query: &ListQuery) -> (Vec<String>, Vec<SqlValue>) {
    match &query.filter {
        Some(filter) => (
            vec![filter.sql.clone()],
            filter.params.iter().map(sql_value).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    }
}

fn count(
    conn: &Connection,
    table: &Table,
    conditions: &[String],
    values: &[SqlValue],
) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} {}",
        table.name,
        where_clause(conditions)
    );
    Ok(conn.query_row(&sql, params_from_iter(values), |row| row.get(0))?)
}

/// The SQLite value a `$filter` parameter binds as.
pub(crate) fn sql_value(param: &Param) -> SqlValue {
    match param {
        Param::Integer(n) => SqlValue::Integer(*n),
        Param::Text(s) => SqlValue::Text(s.clone()),
    }
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}
