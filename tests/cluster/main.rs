//! acdhub beyond one machine (issue 17), against real NATS servers (Debian's `nats-server`,
//! which `./test.sh` installs) run by the tests as clusters of three on loopback ports they
//! pick, killed with SIGKILL and started again. These tests fail, rather than skip, when
//! nats-server is missing.
//!
//! - `log`: each tenant's replicated log (`acdhub::cluster`);
//! - `nodes`: acdhub nodes on the cluster, as processes, clients spread over them.
//!
//! One test binary: `cargo test --test cluster`. The helpers compile once for all of them.

// The server tests' process and clients, of which these tests need a few.
#[allow(dead_code)]
#[path = "../server/binary.rs"]
mod binary;
mod log;
mod nats;
#[allow(dead_code)]
#[path = "../net/mod.rs"]
mod net;
mod nodes;
#[allow(dead_code)]
#[path = "../schema/mod.rs"]
mod schema;
