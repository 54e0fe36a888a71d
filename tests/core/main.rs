//! The tests that need no socket: the core driven by scripts with a fake clock, its refusals,
//! property tests over random command sequences, Erlang C, the configuration loader, the wire
//! types against the published protocol, the call and conversation records folded from the
//! core's events,
//! and the command line (the real binary, which these
//! tests only start for commands that serve nothing).
//!
//! One test binary: `cargo test --test core`. The helpers compile once for all of them.

#[path = "../schema/mod.rs"]
mod schema;
#[path = "../support/mod.rs"]
mod support;

mod agent_day;
mod asyncapi;
mod cli;
mod config;
mod conversation_properties;
mod conversation_records;
mod conversations;
mod erlang_a;
mod erlang_c;
mod errors;
mod fold_day;
mod lanes;
mod properties;
mod protocol_contract;
mod records;
mod scenarios;
