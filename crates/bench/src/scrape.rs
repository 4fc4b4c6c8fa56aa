//! Reading request counters from a Prometheus text page: the servers' `tandem_http_requests_total` (per
//! route) and the connector's `tandem_sync_api_requests_total` (per API).

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
}
