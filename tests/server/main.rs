//! The real server on `127.0.0.1:0` with real clients over loopback sockets: WebSocket over ws
//! and wss, the HTTP rungs (SSE, long-poll), the pages, and the `acdhub` binary itself where a
//! test needs a process of its own (a signal, a memory figure). Every message a client receives
//! is checked against `protocol/schemas`. Nothing here needs a program besides acdhub.
//!
//! One test binary: `cargo test --test server`. The helpers compile once for all of them.

#[path = "../net/mod.rs"]
mod net;
// Checking what clients send is the protocol contract's (core); these tests check what the
// server sends.
#[allow(dead_code)]
#[path = "../schema/mod.rs"]
mod schema;

mod binary;
mod call_flow;
mod consult;
mod contract_gaps;
mod conversations;
mod day;
mod directory;
mod displays;
mod durability;
mod errors;
mod hardening_auth;
mod hardening_net;
mod hardening_ops;
mod hardening_sessions;
mod hardening_ws;
mod heartbeat;
mod lanes;
mod monitoring;
mod pages;
mod records;
mod reload;
mod restart;
mod resume;
mod resume_load;
mod roles;
mod rungs;
mod shutdown;
mod slow_wallboard;
mod storage_faults;
mod supervisor;
mod ticker;
mod wallboard;
mod what_if;
mod wrap_up;
