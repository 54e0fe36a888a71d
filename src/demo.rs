//! The built-in demo contact center: what `acdhub` runs when it is given no configuration file,
//! so a first start shows queues, agents and live simulated traffic straight away.
//!
//! The demo is an ordinary configuration file, `config/demo.toml`, embedded in the binary and
//! read through the same [`config::parse`] as any operator's file; it doubles as the commented
//! example of the format.

use crate::config::{self, FileConfig};

/// The text of the demo configuration, for printing as a starting point for one's own file.
pub const DEMO_TOML: &str = include_str!("../config/demo.toml");

/// The name the demo configuration goes by in error messages.
pub const DEMO_ORIGIN: &str = "config/demo.toml (built in)";

/// The demo contact center: tenant `demo` with queues support, sales, vip and general and the
/// chat queue, twelve agents (agent1 to agent3 left for people, the rest played by the
/// simulator) and a `[simulator]` section with a few calls a minute and a chat every three.
///
/// # Panics
///
/// Only if the embedded file is broken, which the tests rule out.
pub fn demo() -> FileConfig {
    match config::parse(DEMO_TOML, DEMO_ORIGIN) {
        Ok(mut demo) => {
            demo.server.demo = true;
            demo
        }
        Err(error) => panic!("the built-in demo configuration is broken: {error}"),
    }
}
