//! acdhub against the real programs it is deployed with, from Debian's packages (which
//! `./test.sh` installs): `promtool` lints a live scrape and checks the rules and the
//! dashboard, a real Prometheus scrapes a running server, and a real nginx proxies it; the
//! Autobahn testsuite (from PyPI, on Python 2.7, which `./test.sh` installs under target/)
//! checks the WebSocket's conformance. These tests fail, rather than skip, when a program is
//! missing.
//!
//! One test binary: `cargo test --test tools`. The helpers compile once for all of them.

// The server tests' clients, of which these tests need a few.
#[allow(dead_code)]
#[path = "../net/mod.rs"]
mod net;
// Checking what clients send is the protocol contract's (core); these tests check what the
// server sends.
#[allow(dead_code)]
#[path = "../schema/mod.rs"]
mod schema;

mod nginx;
mod package;

mod autobahn;
mod dashboards;
mod metrics;
mod prometheus;
mod proxy_nginx;
