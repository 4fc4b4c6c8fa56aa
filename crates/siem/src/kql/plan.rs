//! What the store must read for a query: the part of the pipeline that can narrow the scan.
//!
//! A `where` at the head of the pipeline that bounds `TimeGenerated` from below (`> ago(1d)`,
//! `>= datetime(...)`, combined with `and`) lets the store skip older rows; everything else is left to
//! [`super::eval`], which re-applies the same predicate, so the bound never changes an answer.

use chrono::{DateTime, Utc};

use super::ast::{CompareOp, Expr, Literal, Operator, Query};
use crate::schema::{TIME_GENERATED, parse_datetime};

/// The slice of a table a query needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanBounds {
    /// Rows generated before this instant cannot be in the answer.
    pub since: Option<DateTime<Utc>>,
}

impl ScanBounds {
    /// The bounds implied by the head of `query`'s pipeline.
    pub fn of(query: &Query, now: DateTime<Utc>) -> ScanBounds {
        let since = query
            .operators
            .iter()
            .map_while(|op| match op {
                Operator::Where(predicate) => Some(predicate),
                _ => None,
            })
            .filter_map(|predicate| lower_bound(predicate, now))
            .max();
        ScanBounds { since }
    }

    /// The tighter of these bounds and `other`.
    pub fn and_since(self, other: Option<DateTime<Utc>>) -> ScanBounds {
        ScanBounds {
            since: self.since.max(other),
        }
    }
}

fn lower_bound(predicate: &Expr, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match predicate {
        Expr::And(a, b) => lower_bound(a, now).max(lower_bound(b, now)),
        Expr::Compare {
            op: CompareOp::Gt | CompareOp::Ge,
            left,
            right,
        } if matches!(&**left, Expr::Column(c) if c == TIME_GENERATED) => {
            constant_instant(right, now)
        }
        _ => None,
    }
}

fn constant_instant(expr: &Expr, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match expr {
        Expr::Now => Some(now),
        Expr::Ago(span) => match &**span {
            Expr::Literal(Literal::Timespan(seconds)) => super::eval::before(now, *seconds),
            _ => None,
        },
        Expr::Literal(Literal::Datetime(text)) => parse_datetime(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::parse;

    #[test]
    fn leading_time_filters_bound_the_scan() {
        let now = parse_datetime("2024-05-02T00:00:00Z").unwrap();
        let bounds = |text: &str| ScanBounds::of(&parse(text).unwrap(), now).since;
        assert_eq!(
            bounds("T | where TimeGenerated > ago(1d)"),
            parse_datetime("2024-05-01T00:00:00Z")
        );
        assert_eq!(
            bounds(
                "T | where A == 1 and TimeGenerated >= datetime(2024-04-01T00:00:00Z) | where TimeGenerated > ago(2d)"
            ),
            parse_datetime("2024-04-30T00:00:00Z")
        );
        assert_eq!(bounds("T | where TimeGenerated > ago(1d) or A == 1"), None);
        assert_eq!(bounds("T | take 1 | where TimeGenerated > ago(1d)"), None);
        assert_eq!(bounds("T | where TimeGenerated < ago(1d)"), None);
    }
}
