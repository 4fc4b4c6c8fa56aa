//! KQL's scalar functions and string operators, each answer worked out by hand from the Kusto
//! documentation's examples and rules.

use crate::support::*;
use tandem_kql::functions::{element, member};
use tandem_kql::{FunctionError, KqlType};

#[tokio::test]
async fn strlen_counts_characters_and_reads_null_as_empty() {
    let length = scalar("strlen", vec![column("text")]);
    assert_eq!(length.kind, KqlType::Long);
    assert_eq!(rows(length).await, strings(&["13", "21", "0", "0"]));
}

#[tokio::test]
async fn substring_counts_from_zero_and_negative_starts_from_the_end() {
    let from_one = scalar("substring", vec![text("123456"), long(1)]);
    assert_eq!(rows(from_one).await[0], "23456");
    let two_from_two = scalar("substring", vec![text("123456"), long(2), long(2)]);
    assert_eq!(rows(two_from_two).await[0], "34");
    let last_two = scalar("substring", vec![text("123456"), long(-2), long(2)]);
    assert_eq!(rows(last_two).await[0], "56");
    let words = scalar("substring", vec![column("text"), long(6), long(3)]);
    assert_eq!(rows(words).await, strings(&["Ame", "xpl", "", ""]));
}

#[tokio::test]
async fn split_gives_a_dynamic_array_or_the_requested_part() {
    let parts = scalar("split", vec![text("aa_bb_cc"), text("_")]);
    assert_eq!(parts.kind, KqlType::Dynamic);
    assert_eq!(rows(parts).await[0], r#"["aa","bb","cc"]"#);
    let second = scalar("split", vec![text("aaa_bbb_ccc"), text("_"), long(1)]);
    assert_eq!(rows(second).await[0], r#"["bbb"]"#);
    let beyond = scalar("split", vec![text("aaa_bbb"), text("_"), long(5)]);
    assert_eq!(rows(beyond).await[0], "[]");
}

#[tokio::test]
async fn case_functions_change_case() {
    assert_eq!(
        rows(scalar("tolower", vec![column("text")])).await[0],
        "north america"
    );
    assert_eq!(
        rows(scalar("toupper", vec![column("text")])).await[0],
        "NORTH AMERICA"
    );
}

#[tokio::test]
async fn trim_removes_leading_and_trailing_matches() {
    let trimmed = scalar("trim", vec![text("--"), text("--https://bing.com--")]);
    assert_eq!(rows(trimmed).await[0], "https://bing.com");
    let spaces = scalar("trim", vec![text(r"\s"), text("  two words  ")]);
    assert_eq!(rows(spaces).await[0], "two words");
}

#[tokio::test]
async fn replace_string_and_replace_regex_rewrite_every_match() {
    let plain = scalar(
        "replace_string",
        vec![
            text("A magic trick can turn a cat into a dog"),
            text("cat"),
            text("hamster"),
        ],
    );
    assert_eq!(
        rows(plain).await[0],
        "A magic trick can turn a hamster into a dog"
    );
    let grouped = scalar(
        "replace_regex",
        vec![text("Number is 5"), text(r"is (\d+)"), text(r"was: \1")],
    );
    assert_eq!(rows(grouped).await[0], "Number was: 5");
}

#[tokio::test]
async fn extract_takes_a_group_or_gives_the_empty_string() {
    let pattern = r"(\d+)\.(\d+)";
    let major = scalar("extract", vec![text(pattern), long(1), column("ip")]);
    assert_eq!(rows(major).await, strings(&["10", "192", "8", ""]));
    let whole = scalar("extract", vec![text(r"[a-z]+"), long(0), text("123abc456")]);
    assert_eq!(rows(whole).await[0], "abc");
}

#[tokio::test]
async fn extract_all_lists_every_match() {
    let one_group = scalar(
        "extract_all",
        vec![text(r"(\w)\w+"), text("The quick brown fox")],
    );
    assert_eq!(one_group.kind, KqlType::Dynamic);
    assert_eq!(rows(one_group).await[0], r#"["T","q","b","f"]"#);
    let two_groups = scalar("extract_all", vec![text(r"(\d)(\w)"), text("1a 2b")]);
    assert_eq!(rows(two_groups).await[0], r#"[["1","a"],["2","b"]]"#);
    let none = scalar("extract_all", vec![text(r"(\d)"), text("letters")]);
    assert_eq!(rows(none).await[0], "null");
}

#[tokio::test]
async fn strcat_joins_any_values_and_strcat_array_joins_an_array() {
    let joined = scalar(
        "strcat",
        vec![text("n="), column("n"), text(";"), column("text")],
    );
    assert_eq!(
        rows(joined).await,
        strings(&[
            "n=1;North America",
            "n=2;KustoExplorerQueryRun",
            "n=3;",
            "n=;"
        ])
    );
    let array = scalar("strcat_array", vec![dynamic(r#"[1,"b",true]"#), text("-")]);
    assert_eq!(rows(array).await[0], "1-b-true");
}

#[tokio::test]
async fn countof_counts_overlapping_plain_matches_and_separate_regex_matches() {
    assert_eq!(
        rows(scalar("countof", vec![text("aaa"), text("a")])).await[0],
        "3"
    );
    assert_eq!(
        rows(scalar("countof", vec![text("aaaa"), text("aa")])).await[0],
        "3"
    );
    assert_eq!(
        rows(scalar(
            "countof",
            vec![text("aaaa"), text("aa"), text("regex")]
        ))
        .await[0],
        "2"
    );
    assert_eq!(
        rows(scalar(
            "countof",
            vec![text("ababa"), text("ab"), text("normal")]
        ))
        .await[0],
        "2"
    );
}

#[tokio::test]
async fn has_matches_whole_terms_ignoring_case() {
    let america = scalar("has", vec![column("text"), text("america")]);
    assert_eq!(america.kind, KqlType::Bool);
    assert_eq!(
        rows(america).await,
        strings(&["true", "false", "false", "false"])
    );
    let inner = scalar("has", vec![column("text"), text("Explorer")]);
    assert_eq!(
        rows(inner).await,
        strings(&["false", "false", "false", "false"])
    );
    let phrase = scalar("has", vec![text("GET /a.b?c"), text("a.b")]);
    assert_eq!(rows(phrase).await[0], "true");
    let cased = scalar("has_cs", vec![column("text"), text("america")]);
    assert_eq!(rows(cased).await[0], "false");
}

#[tokio::test]
async fn hasprefix_and_hassuffix_match_term_edges() {
    let prefix = scalar("hasprefix", vec![column("text"), text("amer")]);
    assert_eq!(
        rows(prefix).await,
        strings(&["true", "false", "false", "false"])
    );
    let suffix = scalar("hassuffix", vec![column("text"), text("RICA")]);
    assert_eq!(
        rows(suffix).await,
        strings(&["true", "false", "false", "false"])
    );
    let not_prefix = scalar("hasprefix", vec![column("text"), text("merica")]);
    assert_eq!(rows(not_prefix).await[0], "false");
}

#[tokio::test]
async fn contains_startswith_endswith_ignore_case_unless_cs() {
    let cases = [
        ("contains", "BRik", "true"),
        ("contains_cs", "BRik", "false"),
        ("contains_cs", "Kam", "true"),
        ("startswith", "fab", "true"),
        ("startswith_cs", "fab", "false"),
        ("endswith", "KAM", "true"),
        ("endswith_cs", "KAM", "false"),
        ("endswith_cs", "Kam", "true"),
    ];
    for (operator, needle, expected) in cases {
        let answer = rows(scalar(operator, vec![text("FabriKam"), text(needle)])).await;
        assert_eq!(answer[0], expected, "\"FabriKam\" {operator} \"{needle}\"");
    }
    let null_text = scalar("contains", vec![column("text"), text("x")]);
    assert_eq!(
        rows(null_text).await[3],
        "false",
        "a null string is empty, so false not null"
    );
}

#[tokio::test]
async fn has_any_and_has_all_take_scalars_or_dynamic_arrays() {
    let any = scalar(
        "has_any",
        vec![column("text"), text("europe"), text("north")],
    );
    assert_eq!(
        rows(any).await,
        strings(&["true", "false", "false", "false"])
    );
    let any_array = scalar(
        "has_any",
        vec![
            column("text"),
            dynamic(r#"["queryrun","kustoexplorerqueryrun"]"#),
        ],
    );
    assert_eq!(
        rows(any_array).await,
        strings(&["false", "true", "false", "false"])
    );
    let all = scalar(
        "has_all",
        vec![column("text"), text("north"), text("america")],
    );
    assert_eq!(
        rows(all).await,
        strings(&["true", "false", "false", "false"])
    );
    let not_all = scalar(
        "has_all",
        vec![column("text"), text("north"), text("europe")],
    );
    assert_eq!(rows(not_all).await[0], "false");
}

#[tokio::test]
async fn matches_regex_tests_the_whole_pattern_anywhere() {
    let numbered = scalar(
        "matches_regex",
        vec![column("ip"), text(r"^\d+\.\d+\.\d+\.\d+$")],
    );
    assert_eq!(
        rows(numbered).await,
        strings(&["true", "true", "true", "false"])
    );
    let per_row = scalar("matches_regex", vec![column("text"), column("g")]);
    let expected = strings(&["true", "false", "false", "false"]);
    assert_eq!(rows(per_row).await, expected, "each row's own pattern");
}

#[tokio::test]
async fn in_ci_compares_without_case_against_each_item() {
    let found = scalar("in_ci", vec![column("g"), text("X"), text("A")]);
    assert_eq!(
        rows(found).await,
        strings(&["true", "true", "false", "false"])
    );
    let listed = scalar("in_ci", vec![column("g"), dynamic(r#"["B"]"#)]);
    assert_eq!(
        rows(listed).await,
        strings(&["false", "false", "true", "true"])
    );
}

#[tokio::test]
async fn between_includes_both_ends_and_reads_a_timespan_end_from_the_start() {
    let numbers = scalar("between", vec![column("n"), long(2), long(3)]);
    assert_eq!(
        rows(numbers).await,
        strings(&["false", "true", "true", "null"])
    );
    let window = scalar(
        "between",
        vec![column("at"), datetime("2015-12-31T00:00:00Z"), span(DAY)],
    );
    assert_eq!(
        rows(window).await,
        strings(&["true", "false", "false", "null"])
    );
}

#[tokio::test]
async fn member_and_element_read_into_dynamic_values() {
    let inner = member(member(column("json"), "a"), "b");
    assert_eq!(inner.kind, KqlType::Dynamic);
    assert_eq!(
        rows(inner.clone()).await,
        strings(&["[1,2,3]", "null", "null", "null"])
    );
    let last = element(inner, long(-1));
    assert_eq!(rows(last).await, strings(&["3", "null", "null", "null"]));
    let first = element(column("json"), long(0));
    assert_eq!(rows(first).await, strings(&["null", "10", "null", "null"]));
    let by_key = element(column("json"), text("s"));
    assert_eq!(
        rows(by_key).await,
        strings(&[r#""x""#, "null", "null", "null"])
    );
    let dynamic_index = element(column("json"), dynamic("1"));
    assert_eq!(rows(dynamic_index).await[1], "20");
    let json_null = member(column("json"), "n");
    assert_eq!(rows(json_null).await[0], "null");
}

#[tokio::test]
async fn parse_json_normalises_and_keeps_text_that_is_not_json() {
    let parsed = scalar("parse_json", vec![text(r#"{ "b": 1, "a": [true, null] }"#)]);
    assert_eq!(parsed.kind, KqlType::Dynamic);
    assert_eq!(rows(parsed).await[0], r#"{"a":[true,null],"b":1}"#);
    let loose = scalar("todynamic", vec![text("not json")]);
    assert_eq!(rows(loose).await[0], r#""not json""#);
    let member_of_parsed = member(scalar("parse_json", vec![column("text")]), "x");
    assert_eq!(
        rows(member_of_parsed).await,
        strings(&["null", "null", "null", "null"])
    );
}

#[tokio::test]
async fn array_functions_follow_kusto() {
    let length = scalar("array_length", vec![column("json")]);
    assert_eq!(length.kind, KqlType::Long);
    assert_eq!(rows(length).await, strings(&["null", "3", "null", "null"]));
    let concat = scalar("array_concat", vec![dynamic("[1,2]"), dynamic("[2,3]")]);
    assert_eq!(rows(concat).await[0], "[1,2,2,3]");
    let union = scalar("set_union", vec![dynamic("[1,2]"), dynamic("[2,3]")]);
    assert_eq!(rows(union).await[0], "[1,2,3]");
    let common = scalar(
        "set_intersect",
        vec![dynamic(r#"[1,2,"a"]"#), dynamic(r#"["a",2,5]"#)],
    );
    assert_eq!(rows(common).await[0], r#"[2,"a"]"#);
}

#[tokio::test]
async fn packing_builds_arrays_and_bags_of_typed_values() {
    let array = scalar(
        "pack_array",
        vec![column("n"), column("text"), column("flag")],
    );
    assert_eq!(array.kind, KqlType::Dynamic);
    assert_eq!(rows(array).await[0], r#"[1,"North America",true]"#);
    let bag = scalar(
        "bag_pack",
        vec![text("when"), column("at"), text("n"), column("n")],
    );
    assert_eq!(
        rows(bag).await[0],
        r#"{"n":1,"when":"2015-12-31T23:59:59Z"}"#
    );
    let packed = scalar("pack", vec![text("r"), column("r")]);
    assert_eq!(rows(packed).await[3], r#"{"r":null}"#);
    let keys = scalar("bag_keys", vec![column("json")]);
    assert_eq!(rows(keys).await[0], r#"["a","n","s"]"#);
}

#[tokio::test]
async fn tostring_gives_kusto_text_for_every_type() {
    assert_eq!(
        rows(scalar("tostring", vec![member(column("json"), "s")])).await[0],
        "x"
    );
    assert_eq!(
        rows(scalar("tostring", vec![member(column("json"), "a")])).await[0],
        r#"{"b":[1,2,3]}"#
    );
    assert_eq!(
        rows(scalar("tostring", vec![column("n")])).await,
        strings(&["1", "2", "3", ""])
    );
    assert_eq!(
        rows(scalar("tostring", vec![column("r")])).await,
        strings(&["1.5", "-2.25", "0", ""])
    );
    let instants = rows(scalar("tostring", vec![column("at")])).await;
    assert_eq!(
        instants,
        strings(&[
            "2015-12-31T23:59:59Z",
            "2017-01-01T10:30:00.5000000Z",
            "1970-01-01T00:00:00Z",
            ""
        ])
    );
    let spans = rows(scalar("tostring", vec![column("span")])).await;
    assert_eq!(spans, strings(&["1.02:03:04", "00:30:00", "00:00:00", ""]));
    assert_eq!(
        rows(scalar("tostring", vec![column("flag")])).await[0],
        "true"
    );
}

#[tokio::test]
async fn number_conversions_are_null_when_the_text_is_not_a_number() {
    let int = scalar("toint", vec![text("abc")]);
    assert_eq!(int.kind, KqlType::Int);
    assert_eq!(rows(int).await[0], "null");
    assert_eq!(rows(scalar("toint", vec![text("123")])).await[0], "123");
    assert_eq!(
        rows(scalar("tolong", vec![member(column("json"), "s")])).await[0],
        "null"
    );
    assert_eq!(
        rows(scalar(
            "tolong",
            vec![element(member(member(column("json"), "a"), "b"), long(1))]
        ))
        .await[0],
        "2"
    );
    assert_eq!(
        rows(scalar("tolong", vec![column("r")])).await,
        strings(&["1", "-2", "0", "null"])
    );
    assert_eq!(
        rows(scalar("todouble", vec![text("1.25")])).await[0],
        "1.25"
    );
    assert_eq!(rows(scalar("toreal", vec![text("x1")])).await[0], "null");
    assert_eq!(
        rows(scalar("tolong", vec![span(SECOND)])).await[0],
        "10000000",
        "a timespan converts to ticks"
    );
}

#[tokio::test]
async fn tobool_reads_true_false_and_numbers() {
    let from_text = scalar("tobool", vec![text("true")]);
    assert_eq!(from_text.kind, KqlType::Bool);
    assert_eq!(rows(from_text).await[0], "true");
    assert_eq!(
        rows(scalar("tobool", vec![text("FALSE")])).await[0],
        "false"
    );
    assert_eq!(rows(scalar("tobool", vec![text("maybe")])).await[0], "null");
    assert_eq!(
        rows(scalar("tobool", vec![column("n")])).await,
        strings(&["true", "true", "true", "null"])
    );
}

#[tokio::test]
async fn todatetime_reads_iso_and_common_forms() {
    let forms = [
        ("2015-12-31T23:59:59Z", "2015-12-31T23:59:59Z"),
        ("2015-12-31 23:59:59.9", "2015-12-31T23:59:59.900Z"),
        ("2015-12-31", "2015-12-31T00:00:00Z"),
        ("Thu, 31 Dec 2015 23:59:59 GMT", "2015-12-31T23:59:59Z"),
        ("2016-01-01T01:59:59+02:00", "2015-12-31T23:59:59Z"),
        ("not a date", "null"),
    ];
    for (input, expected) in forms {
        let converted = scalar("todatetime", vec![text(input)]);
        assert_eq!(converted.kind, KqlType::Datetime);
        assert_eq!(
            rows(converted).await[0],
            expected,
            "todatetime(\"{input}\")"
        );
    }
}

#[tokio::test]
async fn totimespan_reads_clock_and_literal_forms() {
    let clock = scalar("totimespan", vec![text("1.02:03:04")]);
    assert_eq!(clock.kind, KqlType::Timespan);
    let expected = DAY + 2 * HOUR + 3 * 60 * SECOND + 4 * SECOND;
    assert_eq!(rows(clock).await[0], format!("{expected}ns"));
    assert_eq!(
        rows(scalar("totimespan", vec![text("00:00:00.5")])).await[0],
        format!("{}ns", SECOND / 2)
    );
    assert_eq!(
        rows(scalar("totimespan", vec![text("2h")])).await[0],
        format!("{}ns", 2 * HOUR)
    );
    assert_eq!(
        rows(scalar("totimespan", vec![text("soon")])).await[0],
        "null"
    );
}

#[tokio::test]
async fn iff_and_case_pick_the_first_true_branch() {
    let big = scalar("iff", vec![typed_gt("n", 1), text("big"), text("small")]);
    assert_eq!(big.kind, KqlType::String);
    assert_eq!(rows(big).await, strings(&["small", "big", "big", "small"]));
    let widened = scalar("iif", vec![typed_gt("n", 1), column("n"), real(0.5)]);
    assert_eq!(widened.kind, KqlType::Real);
    assert_eq!(rows(widened).await, strings(&["0.5", "2", "3", "0.5"]));
    let graded = scalar(
        "case",
        vec![
            typed_gt("n", 2),
            text("high"),
            typed_gt("n", 1),
            text("mid"),
            text("low"),
        ],
    );
    assert_eq!(rows(graded).await, strings(&["low", "mid", "high", "low"]));
}

fn typed_gt(name: &str, value: i64) -> tandem_kql::TypedExpr {
    typed(column(name).expr.gt(long(value).expr), KqlType::Bool)
}

#[tokio::test]
async fn coalesce_skips_nulls_and_empty_strings() {
    let first_text = scalar("coalesce", vec![column("text"), text("fallback")]);
    assert_eq!(
        rows(first_text).await,
        strings(&[
            "North America",
            "KustoExplorerQueryRun",
            "fallback",
            "fallback"
        ])
    );
    let first_number = scalar("coalesce", vec![column("n"), long(-1)]);
    assert_eq!(first_number.kind, KqlType::Long);
    assert_eq!(rows(first_number).await, strings(&["1", "2", "3", "-1"]));
}

#[tokio::test]
async fn emptiness_and_nullness_follow_kusto_string_rules() {
    assert_eq!(
        rows(scalar("isempty", vec![column("text")])).await,
        strings(&["false", "false", "true", "true"])
    );
    assert_eq!(
        rows(scalar("isnotempty", vec![column("text")])).await,
        strings(&["true", "true", "false", "false"])
    );
    assert_eq!(
        rows(scalar("isnull", vec![column("text")])).await,
        strings(&["false", "false", "false", "false"])
    );
    assert_eq!(
        rows(scalar("isnull", vec![column("n")])).await,
        strings(&["false", "false", "false", "true"])
    );
    assert_eq!(
        rows(scalar("isnotnull", vec![column("at")])).await,
        strings(&["true", "true", "true", "false"])
    );
    assert_eq!(
        rows(scalar("isempty", vec![member(column("json"), "missing")])).await[0],
        "true"
    );
}

#[tokio::test]
async fn ago_and_now_are_relative_to_the_clock() {
    let now = scalar("now", vec![]);
    assert_eq!(now.kind, KqlType::Datetime);
    let hour_ago = scalar("ago", vec![span(HOUR)]);
    assert_eq!(hour_ago.kind, KqlType::Datetime);
    let lower = scalar("now", vec![span(-2 * HOUR)]);
    let in_window = scalar("between", vec![hour_ago, lower, now]);
    assert_eq!(rows(in_window).await[0], "true");
}

#[tokio::test]
async fn bin_rounds_down_to_a_multiple_of_its_size() {
    let hours = scalar("bin", vec![column("at"), span(HOUR)]);
    assert_eq!(hours.kind, KqlType::Datetime);
    assert_eq!(
        rows(hours).await,
        strings(&[
            "2015-12-31T23:00:00Z",
            "2017-01-01T10:00:00Z",
            "1970-01-01T00:00:00Z",
            "null"
        ])
    );
    let weeks = scalar("bin", vec![column("at"), span(7 * DAY)]);
    assert_eq!(
        rows(weeks).await[0],
        "2015-12-28T00:00:00Z",
        "weekly bins start on Monday, counted from 0001-01-01"
    );
    let numbers = scalar("floor", vec![column("n"), long(2)]);
    assert_eq!(numbers.kind, KqlType::Long);
    assert_eq!(rows(numbers).await, strings(&["0", "2", "2", "null"]));
    let reals = scalar("bin", vec![column("r"), real(0.5)]);
    assert_eq!(rows(reals).await, strings(&["1.5", "-2.5", "0", "null"]));
}

#[tokio::test]
async fn period_starts_and_ends_are_calendar_boundaries() {
    let cases = [
        ("startofday", "2015-12-31T00:00:00Z"),
        ("startofweek", "2015-12-27T00:00:00Z"),
        ("startofmonth", "2015-12-01T00:00:00Z"),
        ("startofyear", "2015-01-01T00:00:00Z"),
        ("endofday", "2015-12-31T23:59:59.999999900Z"),
    ];
    for (name, expected) in cases {
        let bound = scalar(name, vec![column("at")]);
        assert_eq!(bound.kind, KqlType::Datetime);
        assert_eq!(rows(bound).await[0], expected, "{name}");
    }
    let next_month = scalar("startofmonth", vec![column("at"), long(1)]);
    assert_eq!(rows(next_month).await[0], "2016-01-01T00:00:00Z");
}

#[tokio::test]
async fn calendar_parts_read_the_utc_calendar() {
    let weekday = scalar("dayofweek", vec![column("at")]);
    assert_eq!(weekday.kind, KqlType::Timespan);
    assert_eq!(
        rows(weekday).await[..3],
        strings(&[&format!("{}ns", 4 * DAY), "0ns", &format!("{}ns", 4 * DAY)])
    );
    let hour = scalar("hourofday", vec![column("at")]);
    assert_eq!(hour.kind, KqlType::Int);
    assert_eq!(rows(hour).await, strings(&["23", "10", "0", "null"]));
    assert_eq!(rows(scalar("getmonth", vec![column("at")])).await[0], "12");
}

#[tokio::test]
async fn datetime_diff_and_datetime_add_use_calendar_periods() {
    let years = scalar(
        "datetime_diff",
        vec![
            text("year"),
            datetime("2017-01-01T00:00:00Z"),
            datetime("2000-12-31T00:00:00Z"),
        ],
    );
    assert_eq!(years.kind, KqlType::Long);
    assert_eq!(rows(years).await[0], "17");
    let days = scalar(
        "datetime_diff",
        vec![text("day"), column("at"), datetime("2015-12-01T12:00:00Z")],
    );
    assert_eq!(rows(days).await[0], "30");
    let month_later = scalar(
        "datetime_add",
        vec![text("month"), long(1), datetime("2017-01-31T00:00:00Z")],
    );
    assert_eq!(month_later.kind, KqlType::Datetime);
    assert_eq!(rows(month_later).await[0], "2017-02-28T00:00:00Z");
    let hours_back = scalar("datetime_add", vec![text("hour"), long(-2), column("at")]);
    assert_eq!(rows(hours_back).await[0], "2015-12-31T21:59:59Z");
    let unknown = refused(
        "datetime_diff",
        vec![text("fortnight"), column("at"), column("at")],
    );
    assert!(unknown.to_string().contains("fortnight"), "{unknown}");
}

#[tokio::test]
async fn formats_write_kusto_specifiers() {
    let written = scalar(
        "format_datetime",
        vec![column("at"), text("yyyy-MM-dd [HH:mm:ss.fff]")],
    );
    assert_eq!(written.kind, KqlType::String);
    assert_eq!(rows(written).await[1], "2017-01-01 [10:30:00.500]");
    let span_text = scalar("format_timespan", vec![column("span"), text("d.hh:mm:ss")]);
    assert_eq!(rows(span_text).await[0], "1.02:03:04");
}

#[tokio::test]
async fn math_functions_give_reals_and_null_outside_their_domain() {
    let rounded = scalar("round", vec![real(2.5)]);
    assert_eq!(rows(rounded).await[0], "3");
    assert_eq!(
        rows(scalar("round", vec![real(1.2345), long(2)])).await[0],
        "1.23"
    );
    let magnitude = scalar("abs", vec![column("i")]);
    assert_eq!(magnitude.kind, KqlType::Int);
    assert_eq!(rows(magnitude).await, strings(&["7", "7", "0", "null"]));
    assert_eq!(rows(scalar("sqrt", vec![column("r")])).await[1], "null");
    assert_eq!(rows(scalar("sqrt", vec![real(16.0)])).await[0], "4");
    let natural = scalar("log", vec![real(1.0)]);
    assert_eq!(natural.kind, KqlType::Real);
    assert_eq!(rows(natural).await[0], "0");
    assert_eq!(rows(scalar("log", vec![real(-1.0)])).await[0], "null");
}

#[tokio::test]
async fn hash_is_xxhash64_of_the_text() {
    let hashed = scalar("hash", vec![text("World")]);
    assert_eq!(hashed.kind, KqlType::Long);
    assert_eq!(rows(hashed).await[0], "1846988464401551951");
    assert_eq!(
        rows(scalar("hash", vec![text("World"), long(100)])).await[0],
        "51"
    );
}

#[tokio::test]
async fn decoding_functions_undo_their_encodings() {
    let decoded = scalar("base64_decode_tostring", vec![text("S3VzdG8=")]);
    assert_eq!(decoded.kind, KqlType::String);
    assert_eq!(rows(decoded).await[0], "Kusto");
    assert_eq!(
        rows(scalar("base64_decode_tostring", vec![text("!!")])).await[0],
        ""
    );
    let url = scalar("url_decode", vec![text("https%3a%2f%2fwww.bing.com%2f")]);
    assert_eq!(rows(url).await[0], "https://www.bing.com/");
}

#[tokio::test]
async fn parse_url_and_parse_path_name_every_part() {
    let url = scalar(
        "parse_url",
        vec![text(
            "scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment",
        )],
    );
    assert_eq!(url.kind, KqlType::Dynamic);
    let host = scalar("tostring", vec![member(url.clone(), "Host")]);
    assert_eq!(rows(host).await[0], "host");
    let port = scalar("tostring", vec![member(url.clone(), "Port")]);
    assert_eq!(rows(port).await[0], "1234");
    let parameter = scalar(
        "tostring",
        vec![member(member(url, "Query Parameters"), "k2")],
    );
    assert_eq!(rows(parameter).await[0], "v2");
    let path = scalar("parse_path", vec![text(r"C:\temp\file.txt")]);
    let expected = r#"{"AlternateDataStreamName":"","DirectoryName":"temp","DirectoryPath":"C:\\temp","Extension":"txt","Filename":"file.txt","RootPath":"C:","Scheme":""}"#;
    assert_eq!(rows(path).await[0], expected);
}

#[tokio::test]
async fn ipv4_functions_test_private_blocks_and_ranges() {
    let private = scalar("ipv4_is_private", vec![column("ip")]);
    assert_eq!(private.kind, KqlType::Bool);
    assert_eq!(
        rows(private).await,
        strings(&["true", "true", "false", "null"])
    );
    let in_range = scalar(
        "ipv4_is_in_range",
        vec![column("ip"), text("192.168.0.0/16")],
    );
    assert_eq!(
        rows(in_range).await,
        strings(&["false", "true", "false", "null"])
    );
    let exact = scalar("ipv4_is_in_range", vec![text("10.1.2.3"), text("10.1.2.3")]);
    assert_eq!(rows(exact).await[0], "true");
}

#[test]
fn bad_calls_are_refused_with_the_reason() {
    assert_eq!(
        refused("no_such_function", vec![]),
        FunctionError::Unknown("no_such_function".to_owned())
    );
    let arity = refused("strlen", vec![text("a"), text("b")]);
    assert!(
        matches!(arity, FunctionError::Arity { got: 2, .. }),
        "{arity:?}"
    );
    let pattern = refused("extract", vec![text("(unclosed"), long(1), text("x")]);
    assert!(
        pattern.to_string().contains("regular expression"),
        "{pattern}"
    );
    let odd = refused("bag_pack", vec![text("key")]);
    assert!(
        matches!(odd, FunctionError::Arity { got: 1, .. }),
        "{odd:?}"
    );
}

#[tokio::test]
async fn array_slice_and_bag_remove_keys_cut_dynamic_values() {
    let middle = scalar(
        "array_slice",
        vec![dynamic("[1,2,3,4,5]"), long(1), long(2)],
    );
    assert_eq!(middle.kind, KqlType::Dynamic);
    assert_eq!(rows(middle).await[0], "[2,3]");
    let to_last = scalar(
        "array_slice",
        vec![dynamic("[1,2,3,4,5]"), long(2), long(-1)],
    );
    assert_eq!(rows(to_last).await[0], "[3,4,5]");
    let removed = scalar(
        "bag_remove_keys",
        vec![dynamic(r#"{"a":1,"b":2,"c":3}"#), dynamic(r#"["a","c"]"#)],
    );
    assert_eq!(rows(removed).await[0], r#"{"b":2}"#);
}

#[tokio::test]
async fn translate_and_codepoints_work_character_by_character() {
    let swapped = scalar(
        "translate",
        vec![text("krasp"), text("otsku"), text("spark")],
    );
    assert_eq!(rows(swapped).await[0], "kusto");
    let stripped = scalar(
        "translate",
        vec![text(r#"["]"#), text(""), text(r#"["10.0.0.1"]"#)],
    );
    assert_eq!(rows(stripped).await[0], "10.0.0.1");
    let codes = scalar("unicode_codepoints_from_string", vec![text("⒦⒰⒮⒯⒪")]);
    assert_eq!(codes.kind, KqlType::Dynamic);
    assert_eq!(rows(codes).await[0], "[9382,9392,9390,9391,9386]");
    assert_eq!(rows(scalar("string_size", vec![text("⒦")])).await[0], "3");
    assert_eq!(
        rows(scalar("indexof", vec![text("abcdefg"), text("cde")])).await[0],
        "2"
    );
    assert_eq!(
        rows(scalar("indexof", vec![text("abcdefg"), text("z")])).await[0],
        "-1"
    );
}

#[tokio::test]
async fn trim_start_and_trim_end_trim_one_side() {
    assert_eq!(
        rows(scalar("trim_start", vec![text("-"), text("--a--")])).await[0],
        "a--"
    );
    assert_eq!(
        rows(scalar("trim_end", vec![text("-"), text("--a--")])).await[0],
        "--a"
    );
}

#[tokio::test]
async fn encodings_round_trip() {
    assert_eq!(
        rows(scalar("base64_encode_tostring", vec![text("Kusto")])).await[0],
        "S3VzdG8="
    );
    let encoded = scalar("url_encode", vec![text("https://www.bing.com/")]);
    assert_eq!(rows(encoded).await[0], "https%3a%2f%2fwww.bing.com%2f");
}

#[tokio::test]
async fn more_ipv4_functions_mask_and_match() {
    let masked = scalar("format_ipv4_mask", vec![text("192.168.1.255"), long(24)]);
    assert_eq!(masked.kind, KqlType::String);
    assert_eq!(rows(masked).await[0], "192.168.1.0/24");
    assert_eq!(
        rows(scalar("format_ipv4_mask", vec![column("ip")])).await,
        strings(&["10.1.2.3/32", "192.168.0.1/32", "8.8.8.8/32", ""])
    );
    let any = scalar(
        "ipv4_is_in_any_range",
        vec![column("ip"), text("10.0.0.0/8"), dynamic(r#"["8.8.8.8"]"#)],
    );
    assert_eq!(rows(any).await, strings(&["true", "false", "true", "null"]));
    assert_eq!(
        rows(scalar(
            "ipv4_is_match",
            vec![text("192.168.1.1/24"), text("192.168.1.255")]
        ))
        .await[0],
        "true"
    );
    assert_eq!(
        rows(scalar(
            "ipv4_is_match",
            vec![text("192.168.1.1"), text("192.168.1.255"), long(24)]
        ))
        .await[0],
        "true"
    );
    assert_eq!(
        rows(scalar(
            "ipv4_is_match",
            vec![text("192.168.1.1"), text("192.168.1.255")]
        ))
        .await[0],
        "false"
    );
}

#[tokio::test]
async fn datetimes_are_made_from_parts_and_unix_times() {
    let made = scalar(
        "make_datetime",
        vec![long(2017), long(10), long(1), long(12), long(10), real(1.5)],
    );
    assert_eq!(made.kind, KqlType::Datetime);
    assert_eq!(rows(made).await[0], "2017-10-01T12:10:01.500Z");
    assert_eq!(
        rows(scalar("make_datetime", vec![long(2017), long(2), long(30)])).await[0],
        "null"
    );
    let seconds = scalar("unixtime_seconds_todatetime", vec![long(1_546_300_800)]);
    assert_eq!(rows(seconds).await[0], "2019-01-01T00:00:00Z");
    let millis = scalar(
        "unixtime_milliseconds_todatetime",
        vec![long(1_546_300_800_123)],
    );
    assert_eq!(rows(millis).await[0], "2019-01-01T00:00:00.123Z");
}

#[tokio::test]
async fn more_calendar_functions() {
    let ends = [
        ("endofweek", "2016-01-02T23:59:59.999999900Z"),
        ("endofmonth", "2015-12-31T23:59:59.999999900Z"),
        ("endofyear", "2015-12-31T23:59:59.999999900Z"),
    ];
    for (name, expected) in ends {
        assert_eq!(
            rows(scalar(name, vec![column("at")])).await[0],
            expected,
            "{name}"
        );
    }
    assert_eq!(
        rows(scalar("getyear", vec![column("at")])).await,
        strings(&["2015", "2017", "1970", "null"])
    );
    assert_eq!(
        rows(scalar("dayofmonth", vec![column("at")])).await[0],
        "31"
    );
    assert_eq!(
        rows(scalar("dayofyear", vec![column("at")])).await[0],
        "365"
    );
}

#[tokio::test]
async fn more_math_functions() {
    assert_eq!(rows(scalar("log10", vec![real(100.0)])).await[0], "2");
    assert_eq!(rows(scalar("log2", vec![long(8)])).await[0], "3");
    assert_eq!(rows(scalar("exp", vec![long(0)])).await[0], "1");
    assert_eq!(
        rows(scalar("pow", vec![long(2), long(10)])).await[0],
        "1024"
    );
    let guid = scalar("toguid", vec![text("74be27de-1e4e-49d9-b579-fe0b331d3642")]);
    assert_eq!(guid.kind, KqlType::Guid);
}
