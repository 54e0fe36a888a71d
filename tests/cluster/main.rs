//! acdhub beyond one machine (issue 17), against real NATS servers (Debian's `nats-server`,
//! which `./test.sh` installs) run by the tests as clusters of three on loopback ports they
//! pick, killed with SIGKILL and started again. These tests fail, rather than skip, when
//! nats-server is missing.
//!
//! So far: each tenant's replicated log (`acdhub::cluster`).
//!
//! One test binary: `cargo test --test cluster`. The helpers compile once for all of them.

mod log;
mod nats;
