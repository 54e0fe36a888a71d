//! Replication over NATS JetStream (issue 17): each tenant's log in a stream replicated on the
//! NATS cluster, so that the tenant outlives any one machine.
//!
//! This is the log: [`Cluster`] connects to the NATS servers and keeps the secret every node
//! shares, and a [`TenantLog`] appends a tenant's records (each once, in the one order the
//! stream gives them), reads them back from any point, and keeps the tenant's newest snapshot.
//! With `[cluster]` each tenant's engine runs on it (`server::tenant`, `engine/replicated.rs`)
//! instead of the journal in the data directory (`src/journal`); docs/cluster.md says how.
//!
//! NATS is the engine that orders, replicates and stores; nothing here decides an order or a
//! leader. What this module adds is the mapping of tenants to streams, the retry rules that
//! make an append safe to repeat, and errors a caller can act on: [`LogError::Unavailable`]
//! when the cluster cannot take or give records now (no quorum, a leader being elected, no
//! server reachable), which passes, and [`LogError::Refused`] for what no retry mends.

mod log;
mod names;

pub use log::{Appended, Cluster, ClusterOptions, LogError, SnapshotHead, Tail, TenantLog};
pub use names::{stream_name, subject};
