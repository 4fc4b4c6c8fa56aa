#![cfg(test)]
//! Golden tests: each operator run over small typed tables, compared with answers worked out by
//! hand.

mod support;

use serde_json::{Value, json};
use support::{columns, incidents, rows, run, sorted_rows};
use tandem_kql::{KqlError, KqlType};

fn row(values: Value) -> Vec<Value> {
    values.as_array().unwrap().clone()
}

fn table(values: Value) -> Vec<Vec<Value>> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn arg_max_star_keeps_each_incidents_latest_version() {
    let ctx = incidents();
    let query = "SecurityIncident | summarize arg_max(TimeGenerated, *) by IncidentNumber | sort by IncidentNumber asc";
    let names: Vec<String> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        names,
        [
            "IncidentNumber",
            "TimeGenerated",
            "Title",
            "Status",
            "Severity",
            "AlertIds"
        ]
    );
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([
            [
                1,
                "2024-01-01T02:00:00.0000000Z",
                "Phish",
                "Closed",
                "High",
                "[\"a1\",\"a2\"]"
            ],
            [
                2,
                "2024-01-01T03:00:00.0000000Z",
                "Malware",
                "Active",
                "Low",
                "[\"a3\"]"
            ],
            [
                3,
                "2024-01-02T00:00:00.0000000Z",
                "Recon",
                "New",
                "Low",
                "[]"
            ],
        ]))
    );
}

#[tokio::test]
async fn arg_min_returns_the_named_columns_of_the_earliest_row() {
    let ctx = incidents();
    let query = "SecurityIncident | summarize (First, FirstStatus) = arg_min(TimeGenerated, Status) by IncidentNumber | sort by IncidentNumber asc";
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([
            [1, "2024-01-01T00:00:00.0000000Z", "New"],
            [2, "2024-01-01T00:30:00.0000000Z", "New"],
            [3, "2024-01-02T00:00:00.0000000Z", "New"],
        ]))
    );
    let names: Vec<String> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, ["IncidentNumber", "First", "FirstStatus"]);
}

#[tokio::test]
async fn where_filters_with_comparisons_and_case_insensitive_equality() {
    let ctx = incidents();
    let query = "SecurityIncident | where IncidentNumber == 1 and Status != 'New' or Title =~ 'RECON' | project IncidentNumber, Status | sort by IncidentNumber asc, Status asc";
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([[1, "Active"], [1, "Closed"], [3, "New"]]))
    );
}

#[tokio::test]
async fn count_and_summarize_count_take_their_default_names() {
    let ctx = incidents();
    assert_eq!(
        rows(&ctx, "SecurityIncident | count").await,
        table(json!([[6]]))
    );
    assert_eq!(
        columns(&ctx, "SecurityIncident | count").await,
        vec![("Count".to_owned(), KqlType::Long)]
    );
    let query = "SecurityIncident | summarize count() by Severity | sort by Severity asc";
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([["High", 3], ["Low", 2], ["Medium", 1]]))
    );
    let names: Vec<String> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, ["Severity", "count_"]);
}

#[tokio::test]
async fn summarize_computes_expressions_over_aggregates() {
    let ctx = incidents();
    let query = "SecurityIncident | summarize Doubled = count() * 2, Versions = count() by IncidentNumber | sort by IncidentNumber asc";
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([[1, 6, 3], [2, 4, 2], [3, 2, 1]]))
    );
    assert_eq!(
        rows(
            &ctx,
            "SecurityIncident | summarize by Title | sort by Title asc"
        )
        .await,
        table(json!([["Malware"], ["Phish"], ["Recon"]]))
    );
}

#[tokio::test]
async fn take_top_and_sort_order_rows_descending_unless_told() {
    let ctx = incidents();
    assert_eq!(
        rows(
            &ctx,
            "SecurityIncident | top 2 by TimeGenerated | project IncidentNumber, Status"
        )
        .await,
        table(json!([[3, "New"], [2, "Active"]]))
    );
    assert_eq!(
        rows(
            &ctx,
            "SecurityAlert | sort by AlertName | project SystemAlertId"
        )
        .await,
        table(json!([["a1"], ["a3"], ["a2"], ["a4"]]))
    );
    assert_eq!(
        rows(
            &ctx,
            "SecurityAlert | order by AlertName asc nulls last | project SystemAlertId"
        )
        .await,
        table(json!([["a2"], ["a3"], ["a1"], ["a4"]]))
    );
    assert_eq!(
        rows(&ctx, "SecurityIncident | take 4 | count").await,
        table(json!([[4]]))
    );
    assert_eq!(
        rows(&ctx, "SecurityIncident | limit 0 | count").await,
        table(json!([[0]]))
    );
}

#[tokio::test]
async fn distinct_keeps_one_row_per_value() {
    let ctx = incidents();
    assert_eq!(
        sorted_rows(&ctx, "SecurityIncident | distinct Title, Severity").await,
        table(json!([
            ["Malware", "Low"],
            ["Malware", "Medium"],
            ["Phish", "High"],
            ["Recon", "Low"]
        ]))
    );
}

#[tokio::test]
async fn extend_does_datetime_and_timespan_arithmetic() {
    let ctx = incidents();
    let query = "SecurityIncident | where IncidentNumber == 2 | extend Age = datetime(2024-01-03) - TimeGenerated, Next = TimeGenerated + 90m, Half = 1h / 2 | project Age, Next, Half | sort by Next asc";
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([
            ["1.23:30:00", "2024-01-01T02:00:00.0000000Z", "00:30:00"],
            ["1.21:00:00", "2024-01-01T04:30:00.0000000Z", "00:30:00"],
        ]))
    );
    let types = columns(&ctx, query).await;
    assert_eq!(
        types.iter().map(|c| c.1).collect::<Vec<_>>(),
        [KqlType::Timespan, KqlType::Datetime, KqlType::Timespan]
    );
    let later = "SecurityIncident | where TimeGenerated > ago(12h) | project IncidentNumber";
    assert_eq!(rows(&ctx, later).await, table(json!([[3]])));
}

#[tokio::test]
async fn extend_replaces_a_column_in_place_and_sees_earlier_assignments() {
    let ctx = incidents();
    let query = "SecurityIncident | where IncidentNumber == 3 | extend IncidentNumber = IncidentNumber * 10, Next = IncidentNumber + 1 | project-away AlertIds, TimeGenerated";
    let names: Vec<String> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        names,
        ["IncidentNumber", "Title", "Status", "Severity", "Next"]
    );
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([[30, "Recon", "New", "Low", 31]]))
    );
}

#[tokio::test]
async fn the_project_family_renames_reorders_and_keeps_columns() {
    let ctx = incidents();
    let query = "SecurityAlert | project-rename Id = SystemAlertId | project-reorder AlertName, Id | project-keep Alert*, Id | take 1";
    let names: Vec<String> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, ["AlertName", "Id"]);
    let unknown = run(&ctx, "SecurityAlert | project-away Nope")
        .await
        .unwrap_err();
    assert!(matches!(unknown, KqlError::Semantic { .. }), "{unknown}");
}

const SIDES: &str = "let L = datatable(k: long, a: string)[1, 'x', 1, 'y', 2, 'z']; let R = datatable(k: long, b: string)[1, 'p', 3, 'q'];";

#[tokio::test]
async fn join_kinds_match_their_kusto_definitions() {
    let ctx = incidents();
    let cases = [
        ("inner", json!([[1, "x", 1, "p"], [1, "y", 1, "p"]])),
        (
            "leftouter",
            json!([[1, "x", 1, "p"], [1, "y", 1, "p"], [2, "z", null, null]]),
        ),
        (
            "rightouter",
            json!([[1, "x", 1, "p"], [1, "y", 1, "p"], [null, null, 3, "q"]]),
        ),
        (
            "fullouter",
            json!([
                [1, "x", 1, "p"],
                [1, "y", 1, "p"],
                [2, "z", null, null],
                [null, null, 3, "q"]
            ]),
        ),
        ("leftsemi", json!([[1, "x"], [1, "y"]])),
        ("leftanti", json!([[2, "z"]])),
        ("rightsemi", json!([[1, "p"]])),
        ("rightanti", json!([[3, "q"]])),
    ];
    for (kind, expected) in cases {
        let query = format!("{SIDES} L | join kind={kind} R on k");
        let mut expected = table(expected);
        expected.sort_by_key(|row| Value::Array(row.clone()).to_string());
        assert_eq!(sorted_rows(&ctx, &query).await, expected, "{kind}");
    }
    let names: Vec<String> = columns(&ctx, &format!("{SIDES} L | join kind=inner R on k"))
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, ["k", "a", "k1", "b"]);
}

#[tokio::test]
async fn the_default_join_keeps_one_left_row_per_key() {
    let ctx = incidents();
    let unique = rows(&ctx, &format!("{SIDES} L | join R on k")).await;
    assert_eq!(unique.len(), 1);
    assert_eq!(unique[0][2..], [json!(1), json!("p")]);
    let sides = "SecurityIncident | where IncidentNumber == 3 | join kind=inner (SecurityAlert | extend n = 3) on $left.IncidentNumber == $right.n | count";
    assert_eq!(rows(&ctx, sides).await, table(json!([[4]])));
}

#[tokio::test]
async fn lookup_adds_the_right_columns_without_repeating_keys() {
    let ctx = incidents();
    assert_eq!(
        sorted_rows(&ctx, &format!("{SIDES} L | lookup R on k")).await,
        table(json!([[1, "x", "p"], [1, "y", "p"], [2, "z", null]]))
    );
    assert_eq!(
        sorted_rows(&ctx, &format!("{SIDES} L | lookup kind=inner R on k")).await,
        table(json!([[1, "x", "p"], [1, "y", "p"]]))
    );
}

#[tokio::test]
async fn union_stacks_columns_by_name_with_its_source() {
    let ctx = incidents();
    let query = format!("{SIDES} union withsource=Source L, R");
    let names: Vec<String> = columns(&ctx, &query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, ["Source", "k", "a", "b"]);
    assert_eq!(
        sorted_rows(&ctx, &query).await,
        table(json!([
            ["L", 1, "x", null],
            ["L", 1, "y", null],
            ["L", 2, "z", null],
            ["R", 1, null, "p"],
            ["R", 3, null, "q"],
        ]))
    );
    let inner = format!("{SIDES} L | union kind=inner R | summarize count()");
    assert_eq!(rows(&ctx, &inner).await, table(json!([[5]])));
    let wildcard = "union Security* | count";
    assert_eq!(rows(&ctx, wildcard).await, table(json!([[10]])));
}

#[tokio::test]
async fn mv_expand_turns_array_elements_into_rows() {
    let ctx = incidents();
    let query = "datatable(id: long, xs: dynamic)[1, dynamic([10, 'b']), 2, dynamic([]), 3, dynamic(null)] | mv-expand with_itemindex=i xs | project id, i, xs";
    assert_eq!(
        sorted_rows(&ctx, query).await,
        table(json!([[1, 0, "10"], [1, 1, "\"b\""], [3, null, null]]))
    );
    let named = "SecurityIncident | where IncidentNumber == 1 | mv-expand Alert = AlertIds | summarize count()";
    assert_eq!(rows(&ctx, named).await, table(json!([[5]])));
    let limited = "SecurityIncident | mv-expand AlertIds limit 1 | count";
    assert_eq!(rows(&ctx, limited).await, table(json!([[5]])));
}

#[tokio::test]
async fn mv_apply_runs_its_subquery_over_each_rows_elements() {
    let ctx = incidents();
    let query = "datatable(id: long, xs: dynamic)[1, dynamic([10, 20, 30]), 2, dynamic([5])] | mv-apply x = xs on (summarize n = count()) | project id, n";
    assert_eq!(
        sorted_rows(&ctx, query).await,
        table(json!([[1, 3], [2, 1]]))
    );
    let top = "datatable(id: long, xs: dynamic)[1, dynamic([10, 20, 30])] | mv-apply x = xs on (take 2) | count";
    assert_eq!(rows(&ctx, top).await, table(json!([[2]])));
}

#[tokio::test]
async fn parse_extracts_typed_columns_and_parse_where_drops_misses() {
    let ctx = incidents();
    let data = "datatable(s: string)['user=alice (3) ok', 'nothing']";
    let query = format!("{data} | parse s with 'user=' User ' (' N: long ')' *");
    assert_eq!(
        sorted_rows(&ctx, &query).await,
        table(json!([
            ["nothing", "", null],
            ["user=alice (3) ok", "alice", 3]
        ]))
    );
    let filtered = format!("{data} | parse-where s with * '(' N: long ')' Rest");
    assert_eq!(
        rows(&ctx, &filtered).await,
        table(json!([["user=alice (3) ok", 3, " ok"]]))
    );
    let regex = format!("{data} | parse kind=regex s with 'user=' Name '\\\\s'");
    assert_eq!(sorted_rows(&ctx, &regex).await[1][1], json!("alice"));
}

#[tokio::test]
async fn make_series_fills_missing_bins_with_the_default() {
    let ctx = incidents();
    let query = "SecurityIncident | make-series n = count() default = 0 on TimeGenerated from datetime(2024-01-01) to datetime(2024-01-01T04:00:00Z) step 1h by Severity | sort by Severity asc";
    let axis = "[\"2024-01-01T00:00:00.0000000Z\",\"2024-01-01T01:00:00.0000000Z\",\"2024-01-01T02:00:00.0000000Z\",\"2024-01-01T03:00:00.0000000Z\"]";
    assert_eq!(
        rows(&ctx, query).await,
        table(json!([
            ["High", "[1,1,1,0]", axis],
            ["Low", "[0,0,0,1]", axis],
            ["Medium", "[1,0,0,0]", axis],
        ]))
    );
    let types: Vec<KqlType> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    assert_eq!(types, [KqlType::String, KqlType::Dynamic, KqlType::Dynamic]);
    let unbounded = "SecurityIncident | where IncidentNumber == 1 | make-series count() on TimeGenerated step 1h";
    assert_eq!(rows(&ctx, unbounded).await[0][0], json!("[1,1,1]"));
}

#[tokio::test]
async fn top_nested_keeps_the_top_values_within_each_level() {
    let ctx = incidents();
    let query = "SecurityIncident | top-nested 2 of Severity by count(), top-nested 1 of Status by count() | sort by aggregated_Severity desc";
    let names: Vec<String> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        names,
        [
            "Severity",
            "aggregated_Severity",
            "Status",
            "aggregated_Status"
        ]
    );
    let result = rows(&ctx, query).await;
    assert_eq!(result.len(), 2);
    assert_eq!(result[0][..2], [json!("High"), json!(3)]);
    assert_eq!(result[0][3], json!(1));
    assert_eq!(result[1][..2], [json!("Low"), json!(2)]);
}

#[tokio::test]
async fn lets_bind_scalars_tables_and_functions() {
    let ctx = incidents();
    let query = "let n = 1; let plus = (x: long, y: long = 10) { x + y }; let T = SecurityIncident | where IncidentNumber == n; let Pick = (t: (*), s: string) { t | where Status == s }; Pick(T, 'Closed') | extend m = plus(IncidentNumber), k = plus(1, 2) | project m, k";
    assert_eq!(rows(&ctx, query).await, table(json!([[11, 3]])));
    let materialized = "let M = materialize(SecurityIncident | where Severity == 'Low'); M | join kind=inner (M) on IncidentNumber | count";
    assert_eq!(rows(&ctx, materialized).await, table(json!([[2]])));
    let scalar = "let c = toscalar(SecurityIncident | count); print c, twice = c * 2";
    assert_eq!(rows(&ctx, scalar).await, table(json!([[6, 12]])));
}

#[tokio::test]
async fn in_takes_lists_dynamic_arrays_and_subqueries() {
    let ctx = incidents();
    let list = "SecurityIncident | where IncidentNumber in (1, 3) | summarize by IncidentNumber | sort by IncidentNumber asc";
    assert_eq!(rows(&ctx, list).await, table(json!([[1], [3]])));
    let dynamic =
        "let ids = dynamic([2]); SecurityIncident | where IncidentNumber !in (ids) | count";
    assert_eq!(rows(&ctx, dynamic).await, table(json!([[4]])));
    let subquery = "SecurityAlert | where SystemAlertId in (datatable(id: string)['a2', 'a4'] | project id) | project SystemAlertId | sort by SystemAlertId asc";
    assert_eq!(rows(&ctx, subquery).await, table(json!([["a2"], ["a4"]])));
}

#[tokio::test]
async fn datatable_range_print_and_getschema_make_tables() {
    let ctx = incidents();
    assert_eq!(
        rows(&ctx, "range x from 1 to 6 step 2").await,
        table(json!([[1], [3], [5]]))
    );
    assert_eq!(
        rows(
            &ctx,
            "range t from datetime(2024-01-01) to datetime(2024-01-01T01:00:00Z) step 30m"
        )
        .await,
        table(json!([
            ["2024-01-01T00:00:00.0000000Z"],
            ["2024-01-01T00:30:00.0000000Z"],
            ["2024-01-01T01:00:00.0000000Z"]
        ]))
    );
    assert_eq!(
        rows(&ctx, "print a = 1, 'two', true").await,
        table(json!([[1, "two", true]]))
    );
    assert_eq!(
        rows(
            &ctx,
            "SecurityAlert | getschema | where ColumnName == 'IsIncident'"
        )
        .await,
        table(json!([["IsIncident", 3, "System.SByte", "bool"]]))
    );
    let too_big = run(&ctx, "range x from 1 to 100000000 step 1")
        .await
        .unwrap_err();
    assert!(matches!(too_big, KqlError::Limit(_)), "{too_big}");
}

#[tokio::test]
async fn as_names_a_result_and_render_is_ignored() {
    let ctx = incidents();
    let query = "SecurityIncident | where IncidentNumber == 2 | as Two | join kind=inner (Two) on Status | count | render table";
    assert_eq!(rows(&ctx, query).await, table(json!([[2]])));
}

#[tokio::test]
async fn the_time_window_filters_right_above_each_scan() {
    let ctx = incidents();
    let mut options = support::options();
    options.time_window = Some((
        "2024-01-01T00:30:00Z".parse().unwrap(),
        "2024-01-01T02:00:00Z".parse().unwrap(),
    ));
    let result = tandem_kql::run("SecurityIncident | count", &ctx, &options)
        .await
        .unwrap();
    assert_eq!(result.rows, table(json!([[3]])));
    let plan = tandem_kql::compile("SecurityIncident | project Title", &ctx, &options)
        .await
        .unwrap()
        .into_optimized_plan()
        .unwrap();
    let text = plan.display_indent().to_string();
    assert!(text.contains("TimeGenerated >="), "{text}");
}

#[tokio::test]
async fn values_answer_in_log_analytics_json_forms() {
    let ctx = incidents();
    let query = "print d = datetime(2024-02-03T04:05:06.1234567Z), t = 1d + 2h + 3s + 5ms, b = false, r = 2.5, j = dynamic({'a': [1]}), n = long(null), g = guid(6f4ab9e2-1b17-4f2b-9a9e-ffffffffffff)";
    assert_eq!(
        rows(&ctx, query).await,
        vec![row(json!([
            "2024-02-03T04:05:06.1234567Z",
            "1.02:00:03.0050000",
            false,
            2.5,
            "{\"a\":[1]}",
            null,
            "6f4ab9e2-1b17-4f2b-9a9e-ffffffffffff"
        ]))]
    );
    let types: Vec<KqlType> = columns(&ctx, query)
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    assert_eq!(
        types,
        [
            KqlType::Datetime,
            KqlType::Timespan,
            KqlType::Bool,
            KqlType::Real,
            KqlType::Dynamic,
            KqlType::Long,
            KqlType::Guid
        ]
    );
}

#[tokio::test]
async fn errors_name_what_is_wrong_and_where() {
    let ctx = incidents();
    let unknown = run(&ctx, "Nope | take 1").await.unwrap_err();
    assert_eq!(
        unknown,
        KqlError::Semantic {
            offset: 0,
            message: "unknown table or tabular let 'Nope'".into()
        }
    );
    let column = run(&ctx, "SecurityAlert | where Missing == 1")
        .await
        .unwrap_err();
    assert!(
        matches!(column, KqlError::Semantic { offset: 22, .. }),
        "{column}"
    );
    let evaluate = run(&ctx, "SecurityAlert | evaluate bag_unpack(x)")
        .await
        .unwrap_err();
    assert_eq!(
        evaluate,
        KqlError::Unsupported {
            name: "evaluate".into(),
            offset: 16
        }
    );
    let case_sensitive = run(&ctx, "securityalert | count").await.unwrap_err();
    assert!(matches!(case_sensitive, KqlError::Semantic { .. }));
}
