//! A reload (SIGHUP, `systemctl reload`): a configuration read again, carried to each layer
//! while the server runs. Wiring, like `mod.rs`: it reaches the tenants' engines, the session
//! layer's principals, the network layer's certificate and the counters.
//!
//! [`plan_reload`] decides, comparing the running configuration with the new one, whether the
//! reload may happen at all; the certificate and key are read and checked next. Only when both
//! pass does anything change: every changed tenant's core, then the principals, then the
//! certificate. A refused reload changes nothing and says which key needs a restart.

use std::fmt;

use crate::config::{FileConfig, ListenAddr, ReloadPlan, plan_reload};

use super::{Server, certificate_of, net};

/// How a reload ended. Its `Display` is the line the log gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadReport {
    Applied {
        /// The principals configured now.
        principals: usize,
        /// Existing queues with new parameters, over every tenant.
        queues_changed: usize,
        queues_added: usize,
        agents_added: usize,
        certificate: CertificateReload,
    },
    /// Nothing changed: the running configuration keeps running.
    Refused { reasons: Vec<String> },
    /// A tenant's core refused what the plan allowed (the plan holds the core's own rules, so
    /// this is a bug): the tenants before it run the new configuration, nothing else changed.
    PartlyApplied {
        reconfigured: Vec<String>,
        problem: String,
    },
}

/// What a reload did with the wss certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateReload {
    /// wss is off: there is no certificate.
    NoWss,
    /// The files were read again and hold the certificate already served.
    Unchanged,
    /// New connections get the certificate just read.
    Reloaded,
}

impl ReloadReport {
    pub fn applied(&self) -> bool {
        matches!(self, ReloadReport::Applied { .. })
    }
}

impl fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadReport::Applied {
                principals,
                queues_changed,
                queues_added,
                agents_added,
                certificate,
            } => {
                let certificate = match certificate {
                    CertificateReload::NoWss => "no wss certificate",
                    CertificateReload::Unchanged => "certificate unchanged",
                    CertificateReload::Reloaded => "certificate reloaded",
                };
                write!(
                    f,
                    "reload: applied ({principals} principals, {queues_changed} queues changed, \
                     {queues_added} queues added, {agents_added} agents added, {certificate})"
                )
            }
            ReloadReport::Refused { reasons } => write!(
                f,
                "reload refused: {}; the running configuration is unchanged",
                reasons.join("; ")
            ),
            ReloadReport::PartlyApplied {
                reconfigured,
                problem,
            } => write!(
                f,
                "reload partly applied: {problem}; tenants reconfigured before it: [{}]; the \
                 principals and the certificate are unchanged",
                reconfigured.join(", ")
            ),
        }
    }
}

impl Server {
    /// Runs on `new` from now on, as far as a running server can (see `config::reload`), or
    /// refuses it whole and keeps running as it was. Logs the outcome and counts it in
    /// `acdhub_config_reloads_total`.
    pub async fn reload(&self, new: FileConfig) -> ReloadReport {
        let mut running = self.running.lock().await;
        let report = match self.apply(&running, &new).await {
            Ok(report) => {
                *running = new;
                report
            }
            Err(report) => report,
        };
        drop(running);
        self.reported(report)
    }

    /// A reload whose file could not be used (unreadable, or not a valid configuration):
    /// refused, logged and counted as any other.
    pub fn refuse_reload(&self, problem: impl fmt::Display) -> ReloadReport {
        self.reported(ReloadReport::Refused {
            reasons: vec![problem.to_string()],
        })
    }

    fn reported(&self, report: ReloadReport) -> ReloadReport {
        self.counters.reload(report.applied());
        match report {
            ReloadReport::Applied { .. } => tracing::info!("{report}"),
            ReloadReport::Refused { .. } => tracing::warn!("{report}"),
            ReloadReport::PartlyApplied { .. } => tracing::error!("{report}"),
        }
        report
    }

    async fn apply(
        &self,
        running: &FileConfig,
        new: &FileConfig,
    ) -> Result<ReloadReport, ReloadReport> {
        let refused = |reasons: Vec<String>| ReloadReport::Refused { reasons };
        let plan: ReloadPlan = plan_reload(running, new)
            .map_err(|keys| refused(keys.iter().map(ToString::to_string).collect()))?;
        // Read before anything changes: a certificate that cannot be used refuses the reload.
        let certificate = match (&self.certificate, new.server.wss) {
            (Some(resolver), ListenAddr::At(_)) => {
                let key = net::load(certificate_of(plan.tls.as_ref()))
                    .map_err(|error| refused(vec![error.to_string()]))?;
                Some((resolver, key))
            }
            _ => None,
        };

        let mut reconfigured = Vec::new();
        for change in &plan.tenants {
            if let Err(problem) = self
                .tenants
                .reconfigure(&change.tenant, change.acd.clone())
                .await
            {
                return Err(ReloadReport::PartlyApplied {
                    reconfigured,
                    problem,
                });
            }
            reconfigured.push(change.tenant.clone());
        }
        if plan.principals_changed {
            self.sessions.replace_principals(&new.principals);
        }
        let certificate = match certificate {
            None => CertificateReload::NoWss,
            Some((resolver, key)) => {
                let not_after = net::not_after(&key);
                if resolver.replace(key) {
                    if let Some(not_after) = not_after {
                        self.counters.certificate_not_after(not_after);
                    }
                    CertificateReload::Reloaded
                } else {
                    CertificateReload::Unchanged
                }
            }
        };
        Ok(ReloadReport::Applied {
            principals: plan.principals,
            queues_changed: plan.queues_changed(),
            queues_added: plan.queues_added(),
            agents_added: plan.agents_added(),
            certificate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_lines_say_what_happened() {
        let applied = ReloadReport::Applied {
            principals: 5,
            queues_changed: 2,
            queues_added: 1,
            agents_added: 3,
            certificate: CertificateReload::Reloaded,
        };
        assert_eq!(
            applied.to_string(),
            "reload: applied (5 principals, 2 queues changed, 1 queues added, 3 agents added, \
             certificate reloaded)"
        );
        let refused = ReloadReport::Refused {
            reasons: vec![
                "tenants: tenant \"acme\" was removed".to_owned(),
                "server.ws: changed".to_owned(),
            ],
        };
        assert_eq!(
            refused.to_string(),
            "reload refused: tenants: tenant \"acme\" was removed; server.ws: changed; the \
             running configuration is unchanged"
        );
        assert!(applied.applied() && !refused.applied());
    }
}
