//! The tenant layer: one engine task per tenant, the only owner and writer of that tenant's
//! ACD core, with the fan-out of its events and the snapshots sessions start from.
//!
//! - `engine`: the task, its [`Request`]s, and the deadlines it keeps (the core's, the
//!   simulator's, agents' grace periods, the statistics flush).
//! - `audience`: who hears what: the sessions attached to the tenant, by what they listen to.
//! - `snapshot`: what a session is told when it attaches or subscribes.
//! - `figures`: the tenant's figures at one instant, for a scrape.
//! - `durable`: the tenant's journal and snapshots, and recovery from them.
//! - `records`: the files the tenant's call and conversation records go to, and the sweep of
//!   conversation records past their retention.
//!
//! Below this layer are the core ([`crate::acd`]), the wire's types ([`crate::protocol`]), the
//! simulator and the configuration's plain settings, and the server's leaves (outbox, clock,
//! counters, audit). Sessions reach an engine through [`Tenants`].

mod audience;
mod durable;
mod engine;
mod figures;
mod records;
mod replica;
mod snapshot;
mod streams;

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use durable::{
    Durable, Entry, Record, RecoverError, Recovered, State, tenant_dir, write_snapshot_for_tools,
};
pub use engine::{
    Adopt, Attach, CHANNEL_CAPACITY, Engine, EngineSetup, Mark, ReconfigureError, ReplicaSnapshot,
    Replicated, Request, Settings,
};
pub use figures::TenantFigures;
pub use records::RecordFiles;
pub use replica::{LogEntry, LogRecord, Presence, alive};
pub use streams::Registry;

/// Every tenant's engine, by tenant id: the only way to reach a tenant's core.
#[derive(Default)]
pub struct Tenants {
    engines: HashMap<String, mpsc::Sender<Request>>,
}

impl Tenants {
    pub fn insert(&mut self, tenant: String, engine: mpsc::Sender<Request>) {
        self.engines.insert(tenant, engine);
    }

    /// The engine of `tenant`, to send requests to.
    pub fn engine(&self, tenant: &str) -> Option<&mpsc::Sender<Request>> {
        self.engines.get(tenant)
    }

    /// How many tenants the server serves.
    pub fn count(&self) -> usize {
        self.engines.len()
    }

    /// The tenants whose engine has stopped (it failed, or the server is stopping).
    pub fn stopped(&self) -> Vec<&str> {
        let mut stopped: Vec<&str> = self
            .engines
            .iter()
            .filter(|(_, engine)| engine.is_closed())
            .map(|(tenant, _)| tenant.as_str())
            .collect();
        stopped.sort_unstable();
        stopped
    }

    /// A reload: `tenant`'s core runs on `config` from now on. Refused (nothing changed) if the
    /// core refuses it, or if the tenant has no running engine.
    pub async fn reconfigure(
        &self,
        tenant: &str,
        config: crate::acd::Config,
    ) -> Result<(), String> {
        let engine = self
            .engine(tenant)
            .ok_or_else(|| format!("no tenant `{tenant}` runs"))?;
        let stopped = || format!("tenant `{tenant}`: its engine has stopped");
        let (reply, answer) = oneshot::channel();
        engine
            .send(Request::Reconfigure { config, reply })
            .await
            .map_err(|_| stopped())?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(|problem| format!("tenant `{tenant}`: {problem}"))
    }

    /// Tells every engine to look at the clock again (it was moved).
    pub async fn wake(&self) {
        for engine in self.engines.values() {
            let _ = engine.send(Request::Wake).await;
        }
    }

    /// Every tenant's figures, each as of its own engine's now, sorted by tenant. Every engine is
    /// asked at once; one that does not answer within `patience` is left out (and logged), so a
    /// busy tenant costs a scrape its own series, not everyone's.
    pub async fn figures(&self, patience: Duration) -> Vec<TenantFigures> {
        let asked = self.engines.iter().map(|(tenant, engine)| async move {
            let (reply, answer) = oneshot::channel();
            let round_trip = async {
                engine.send(Request::Figures { reply }).await.ok()?;
                answer.await.ok()
            };
            let answered = tokio::time::timeout(patience, round_trip).await;
            if !matches!(answered, Ok(Some(_))) {
                tracing::warn!(%tenant, "a scrape went without a tenant whose engine did not answer");
            }
            answered.ok().flatten()
        });
        let mut figures: Vec<TenantFigures> = futures_util::future::join_all(asked)
            .await
            .into_iter()
            .flatten()
            .collect();
        figures.sort_by(|a, b| a.tenant.cmp(&b.tenant));
        figures
    }
}
