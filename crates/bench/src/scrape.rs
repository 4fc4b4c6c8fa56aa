//! Reading request counters from a Prometheus text page: the servers' `tandem_http_requests_total` (per
//! route) and the connector's `tandem_sync_api_requests_total` (per API).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::BenchError;

/// The `/metrics` page at `url`.
pub async fn scrape(url: &str) -> Result<String, BenchError> {
    Ok(reqwest::get(url).await?.error_for_status()?.text().await?)
}

/// The sum of every sample of counter `name` whose labels `keep` accepts.
pub fn sum_counter(text: &str, name: &str, keep: impl Fn(&str) -> bool) -> u64 {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(labelled) => labelled.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            keep(labels).then(|| value.trim().parse::<f64>().ok())?
        })
        .map(|v| v as u64)
        .sum()
}

/// API requests a server answered, less its `/metrics` and `/healthz` (the benchmark's own scrapes).
pub fn server_api_requests(text: &str) -> u64 {
    sum_counter(text, "tandem_http_requests_total", |labels| {
        !labels.contains("route=\"/metrics\"") && !labels.contains("route=\"/healthz\"")
    })
}

/// Requests a server answered on one route, and the time it spent answering them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct RouteLoad {
    /// Requests answered.
    pub requests: u64,
    /// Seconds spent answering them, in total.
    pub seconds: f64,
}

/// A server's load by `METHOD route` (statuses added together), without `/metrics` and `/healthz`.
pub fn per_route(text: &str) -> BTreeMap<String, RouteLoad> {
    let mut routes: BTreeMap<String, RouteLoad> = BTreeMap::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once('{') else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        let label = |key: &str| {
            let start = labels.find(&format!("{key}=\""))? + key.len() + 2;
            labels[start..].split('"').next()
        };
        let (Some(method), Some(route), Ok(value)) =
            (label("method"), label("route"), value.trim().parse::<f64>())
        else {
            continue;
        };
        if route == "/metrics" || route == "/healthz" {
            continue;
        }
        let load = routes.entry(format!("{method} {route}")).or_default();
        match name {
            "tandem_http_requests_total" => load.requests += value as u64,
            "tandem_http_request_duration_seconds_sum" => load.seconds += value,
            _ => {}
        }
    }
    routes
}

/// The load between two readings of [`per_route`]; routes with no new requests are left out.
pub fn route_delta(
    before: &BTreeMap<String, RouteLoad>,
    after: &BTreeMap<String, RouteLoad>,
) -> BTreeMap<String, RouteLoad> {
    after
        .iter()
        .filter_map(|(route, a)| {
            let b = before.get(route).copied().unwrap_or_default();
            let requests = a.requests.saturating_sub(b.requests);
            (requests > 0).then(|| {
                let seconds = (a.seconds - b.seconds).max(0.0);
                (route.clone(), RouteLoad { requests, seconds })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# TYPE tandem_http_requests_total counter\n\
tandem_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"} 9\n\
tandem_http_requests_total{method=\"GET\",route=\"/v1.0/security/incidents\",status=\"200\"} 12\n\
tandem_http_requests_total{method=\"POST\",route=\"/{tenant}/oauth2/v2.0/token\",status=\"200\"} 2\n\
tandem_http_requests_total_other 5\n\
tandem_sync_api_requests_total{api=\"graph\"} 7\n";

    #[test]
    fn sums_api_requests_without_scrapes() {
        assert_eq!(server_api_requests(PAGE), 14);
        assert_eq!(
            sum_counter(PAGE, "tandem_sync_api_requests_total", |_| true),
            7
        );
        assert_eq!(sum_counter(PAGE, "absent_total", |_| true), 0);
    }

    #[test]
    fn load_by_route_and_its_growth() {
        let before = per_route(PAGE);
        assert_eq!(before.len(), 2, "{before:?}");
        assert_eq!(before["GET /v1.0/security/incidents"].requests, 12);
        let later = format!(
            "{PAGE}tandem_http_requests_total{{method=\"PUT\",route=\"/x\",status=\"201\"}} 3\n\
tandem_http_request_duration_seconds_sum{{method=\"PUT\",route=\"/x\",status=\"201\"}} 0.5\n"
        );
        let delta = route_delta(&before, &per_route(&later));
        assert_eq!(delta.len(), 1);
        assert_eq!(
            delta["PUT /x"],
            RouteLoad {
                requests: 3,
                seconds: 0.5
            }
        );
    }
}
