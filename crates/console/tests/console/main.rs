//! The console's pages driven over real HTTP: the real router on 127.0.0.1:0, an in-memory backend, reqwest.

#![cfg(test)]

mod incident;
mod queue;
mod session;
mod sync;

use reqwest::Response;
use reqwest::header::LOCATION;

pub use tandem_console::testing::{Served, backend};

/// The `Location` of a redirect.
pub fn location(response: &Response) -> &str {
    response.headers()[LOCATION].to_str().unwrap()
}

/// Every value of an attribute in a page, in document order.
pub fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let marker = format!(" {attribute}=\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// How many elements carry `data-testid="{id}"`.
pub fn count_testid(html: &str, id: &str) -> usize {
    html.matches(&format!("data-testid=\"{id}\"")).count()
}

/// The inline `<svg id="{id}" …>…</svg>` of a page.
pub fn inline_svg<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html
        .find(&format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\""
        ))
        .expect("svg present");
    let end = html[start..].find("</svg>").unwrap() + start + "</svg>".len();
    &html[start..end]
}
