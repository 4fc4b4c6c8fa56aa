//! Following `@odata.nextLink` (Graph) and `nextLink` (ARM) until a collection is exhausted.
//!
//! Both kinds of API return a collection as `{"value": [...], "<next link>": "<url>"}` and expect the
//! client to GET the next link verbatim. [`Pager`] does that one page at a time (so a backfill can show
//! progress); [`ApiClient::get_all`] collects everything. A next link must point at the same scheme, host
//! and port as the first page, so that the bearer token never leaves for another server, and a link that
//! was already followed ends paging with an error instead of looping.

use std::collections::HashSet;
use std::marker::PhantomData;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{ApiClient, ApiRequest};
use crate::error::ClientError;

/// One page of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items (`value`).
    pub items: Vec<T>,
    /// The link to the next page, if there is one.
    pub next_link: Option<String>,
}

/// Walks a paged collection one page at a time.
#[derive(Debug)]
pub struct Pager<T> {
    client: ApiClient,
    first: Url,
    next: Option<Url>,
    followed: HashSet<Url>,
    headers: HeaderMap,
    items: PhantomData<fn() -> T>,
}

#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct PageBody<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    odata_next_link: Option<String>,
    #[serde(rename = "nextLink", default)]
    next_link: Option<String>,
}

impl ApiClient {
    /// A pager over the collection at `url`. Nothing is sent until [`Pager::next_page`].
    pub fn pages<T: DeserializeOwned>(&self, url: &str) -> Result<Pager<T>, ClientError> {
        let first = Url::parse(url).map_err(|e| ClientError::Url {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Pager {
            client: self.clone(),
            followed: HashSet::from([first.clone()]),
            next: Some(first.clone()),
            first,
            headers: HeaderMap::new(),
            items: PhantomData,
        })
    }

    /// Every item of the collection at `url`, across all pages.
    pub async fn get_all<T: DeserializeOwned>(&self, url: &str) -> Result<Vec<T>, ClientError> {
        self.pages(url)?.collect_all().await
    }
}

impl<T: DeserializeOwned> Pager<T> {
    /// Sends `name: value` with every page request (such as Graph's `Prefer`), as
    /// [`ApiRequest::header`] does.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The next page, or `None` once the last page has been returned.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, ClientError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let mut request = ApiRequest::get(url.as_str());
        for (name, value) in &self.headers {
            request = request.header(name.clone(), value.clone());
        }
        let body: PageBody<T> = self.client.send(request).await?.json()?;
        let next_link = body.odata_next_link.or(body.next_link);
        if let Some(link) = &next_link {
            self.next = Some(self.follow(&url, link)?);
        }
        Ok(Some(Page {
            items: body.value,
            next_link,
        }))
    }

    /// The items of this and every later page.
    pub async fn collect_all(mut self) -> Result<Vec<T>, ClientError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page.items);
        }
        Ok(all)
    }

    /// Resolves `link` (absolute, or relative to the page it came from) and checks it may be followed.
    fn follow(&mut self, current: &Url, link: &str) -> Result<Url, ClientError> {
        let refuse = |reason: &str| ClientError::Url {
            url: link.to_owned(),
            reason: reason.to_owned(),
        };
        let next = current.join(link).map_err(|e| refuse(&e.to_string()))?;
        if next.origin() != self.first.origin() {
            return Err(refuse(&format!(
                "next link leaves {}; refusing to send the token there",
                self.first.origin().ascii_serialization()
            )));
        }
        if !self.followed.insert(next.clone()) {
            return Err(refuse("next link repeats a page already read"));
        }
        Ok(next)
    }
}
