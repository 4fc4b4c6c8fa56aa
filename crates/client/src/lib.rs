//! Client plumbing shared by everything in Tandem that calls a Graph-, ARM- or Logs-Ingestion-shaped API:
//! client-credentials tokens refreshed before they expire, retries that honour `Retry-After` and back off
//! with jitter, and `@odata.nextLink` / `nextLink` paging.
