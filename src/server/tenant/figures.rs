//! What a tenant's engine reports for a scrape: its ACD's figures at one instant, read from the
//! same exact counts its wallboards get. `ops::scrape` turns them into metric families.

use jiff::Timestamp;

use crate::acd::{Acd, AgentCounts, QueueHistograms, QueueStats, ReasonCode};

/// One tenant's ACD at one instant, as its engine reports it for a scrape.
pub struct TenantFigures {
    pub tenant: String,
    pub at: Timestamp,
    pub queues: Vec<(QueueStats, QueueHistograms)>,
    /// Agents of the tenant by state, each counted once.
    pub agents: AgentCounts,
    /// Not-ready agents by reason, for every reason there is (configured and system), 0 too.
    pub not_ready_by_reason: Vec<(String, u32)>,
}

impl TenantFigures {
    /// The figures of `tenant`'s core now.
    pub fn of(tenant: &str, acd: &Acd) -> TenantFigures {
        let queues = acd
            .lanes()
            .map(|lane| (acd.lane_stats(lane), acd.lane_histograms(lane).clone()))
            .collect();
        let agents = acd.tenant_stats().stats.agents;
        let reasons = acd.not_ready_reasons().iter().map(|r| r.code.as_str());
        let not_ready_by_reason = reasons
            .chain(ReasonCode::SYSTEM)
            .map(|reason| {
                let count = agents
                    .not_ready_by_reason
                    .get(&ReasonCode::from(reason))
                    .copied()
                    .unwrap_or(0);
                (reason.to_owned(), count)
            })
            .collect();
        TenantFigures {
            tenant: tenant.to_owned(),
            at: acd.now(),
            queues,
            agents,
            not_ready_by_reason,
        }
    }
}
