//! Operations: what the people who run acdhub read.
//!
//! - `counters`: the server's own Prometheus counters. A leaf: sessions, engines and the fan-out
//!   count into it, and it knows none of them.
//! - `audit`: the audit log of supervisor actions. A leaf, like the counters.
//! - `scrape`: a pure function from every tenant's figures to metric families.
//! - `admin`: the metrics listener's endpoints, `GET /metrics` and `GET /sessions`. The top of
//!   the server: it reads the session and tenant layers.

pub mod admin;
pub mod audit;
pub mod counters;
pub mod scrape;
