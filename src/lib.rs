//! acdhub: a contact-center ACD (automatic call distribution) server.
//!
//! # Layout
//!
//! - [`acd`]: the core. One tenant's queues, agents and calls as a deterministic state machine
//!   with no I/O, no clock and no randomness of its own. Everything else drives it.
//! - [`config`]: the TOML configuration file, checked and turned into the core's types, with
//!   errors that name the file, line and field.
//! - [`sim`]: a seeded simulator that plays callers and agents against the core, in simulated
//!   time as fast as the CPU allows.
//! - [`erlang`]: Erlang C and Erlang A, the queueing-theory predictions the simulator is compared
//!   with; [`staffing`] answers a supervisor's what-if with them from a queue's rolling window.
//! - [`demo`]: the built-in demo contact center.
//! - [`server`]: listeners (ws, wss), sessions, and one engine task per tenant that owns its
//!   core.
//! - [`protocol`]: the wire protocol v1: what clients send and what the server says, as JSON.
//! - [`journal`]: durable storage for each tenant's commands and snapshots on local disk: an
//!   append-only segment log the server writes ahead of every effect and recovers from.
//! - [`cluster`]: each tenant's log replicated on a NATS JetStream cluster (issue 17; the log
//!   alone so far: the engine still runs on the journal).
//! - [`records`]: call detail records, one per finished call, and conversation records, one per
//!   finished conversation with its transcript, folded from the core's events (pure), and the
//!   day files BI tools read them from (conversations' deleted past their retention).
#![forbid(unsafe_code)]

/// The core, re-exported from its own crate (`crates/acd`), so `acdhub::acd` names it.
pub use acdhub_acd as acd;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod erlang;
mod hex;
pub mod journal;
pub mod protocol;
pub mod records;
pub mod server;
pub mod sim;
pub mod staffing;
