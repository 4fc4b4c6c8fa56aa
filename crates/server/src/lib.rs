//! Plumbing shared by Tandem's servers (`tandem xdr` and `tandem siem`), written once.
//!
//! Both servers follow one contract: `--listen`, `--data-dir`, an optional `--config`, a development
//! tenant and `credentials.env` created on first start, `GET /healthz`, and a token endpoint at
//! `POST /{tenantId}/oauth2/v2.0/token` that issues the bearer tokens every API call checks.
