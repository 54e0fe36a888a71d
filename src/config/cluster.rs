//! The `[cluster]` section: the NATS JetStream cluster every tenant's log is kept on, and how
//! this node takes part. Without it the server keeps each tenant's day in its own data
//! directory (`[storage]`), as a single machine.

use std::time::Duration;

use serde::Deserialize;

use super::locate::FieldPath;
use super::raw::{Count, Seconds};
use super::{Problem, problem};

/// `[cluster]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// The NATS servers' URLs (`nats://host:port`): the node connects to any of them.
    pub nats: Vec<String>,
    /// This node's name, unique in the cluster: in its log records and the NATS connection.
    pub node: String,
    /// How many NATS servers keep each tenant's log: 3 outlives the loss of one.
    pub replicas: usize,
    /// How long an append or a read waits for the cluster's answer before it counts as
    /// unavailable (a command is then refused with `storage_unavailable`).
    pub request_timeout: Duration,
    /// A node not heard from for this long is taken for gone: its agents' grace periods start.
    pub node_timeout: Duration,
    /// Every node's WebSocket URL as clients reach it (`wss://acd1.example.com/ws`), told to
    /// the pages in `/rt/endpoints` so that a page whose node goes moves to another.
    pub node_urls: Vec<String>,
}

impl ClusterConfig {
    /// How often a node says it is alive: three times per `node_timeout`.
    pub fn alive_interval(&self) -> Duration {
        self.node_timeout / 3
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    nats: Vec<String>,
    node: Option<String>,
    replicas: Option<Count>,
    request_timeout_ms: Option<Count>,
    node_timeout_secs: Option<Seconds>,
    #[serde(default)]
    node_urls: Vec<String>,
}

pub(super) fn build_cluster(at: &FieldPath, raw: RawCluster) -> Result<ClusterConfig, Problem> {
    if raw.nats.is_empty() {
        return Err(problem(
            at.key("nats"),
            "at least one NATS server URL, such as \"nats://10.0.0.1:4222\"",
        ));
    }
    for (index, url) in raw.nats.iter().enumerate() {
        if !(url.starts_with("nats://") || url.starts_with("tls://")) || url.len() < 8 {
            return Err(problem(
                at.key("nats").index(index),
                format!("`{url}` is not a NATS URL (nats://host:port or tls://host:port)"),
            ));
        }
    }
    let node = match raw.node {
        Some(node) => node,
        None => hostname()
            .ok_or_else(|| problem(at.key("node"), "the host has no name to use; name the node"))?,
    };
    if node.is_empty()
        || node.len() > 64
        || !node
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(problem(
            at.key("node"),
            "1 to 64 letters, digits, `-` or `_`",
        ));
    }
    let replicas = raw.replicas.map_or(3, |c| c.0 as usize);
    if !(1..=5).contains(&replicas) {
        return Err(problem(
            at.key("replicas"),
            "from 1 to 5 (JetStream's range)",
        ));
    }
    let request_timeout =
        Duration::from_millis(raw.request_timeout_ms.map_or(2_000, |c| u64::from(c.0)));
    if request_timeout < Duration::from_millis(100) {
        return Err(problem(at.key("request_timeout_ms"), "at least 100"));
    }
    let node_timeout = Duration::from_secs(raw.node_timeout_secs.map_or(10, |s| s.0));
    if node_timeout < Duration::from_secs(3) {
        return Err(problem(at.key("node_timeout_secs"), "at least 3"));
    }
    for (index, url) in raw.node_urls.iter().enumerate() {
        let rest = url
            .strip_prefix("wss://")
            .or_else(|| url.strip_prefix("ws://"));
        if rest.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
            return Err(problem(
                at.key("node_urls").index(index),
                format!("`{url}` is not a WebSocket URL (wss://host/ws or ws://host:port/ws)"),
            ));
        }
    }
    Ok(ClusterConfig {
        nats: raw.nats,
        node,
        replicas,
        request_timeout,
        node_timeout,
        node_urls: raw.node_urls,
    })
}

/// The host's name, from the kernel.
fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}
