//! The configuration file as serde reads it, before it becomes the core's types.
//!
//! Every value type here checks its own range while it is read, so a bad value is reported at
//! the exact key that holds it ("expected a skill level from 1 to 5", not a panic or a silent
//! wrap-around). Checks that need more than one value (references between queues, order of
//! escalation steps) happen later, in [`super`] and in the core's `Config::validate`.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};

use crate::acd::config::{ServiceLevelVariant, Strategy};

use super::server::{RawLimits, RawMetrics, RawPrincipal, RawServer};
use super::simulator::PatienceDistribution;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub metrics: RawMetrics,
    #[serde(default)]
    pub tenants: Vec<RawTenant>,
    #[serde(default)]
    pub principals: Vec<RawPrincipal>,
    pub simulator: Option<RawSimulator>,
    #[serde(default)]
    pub storage: super::storage::RawStorage,
    pub cluster: Option<super::cluster::RawCluster>,
}

/// One `[[tenants]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTenant {
    pub id: Id,
    pub name: Option<Label>,
    pub time_zone: String,
    #[serde(default)]
    pub routing: RawRouting,
    #[serde(default)]
    pub queues: Vec<RawQueue>,
    #[serde(default)]
    pub agents: Vec<RawAgent>,
    #[serde(default)]
    pub not_ready_reasons: Vec<RawReason>,
    #[serde(default)]
    pub channels: Vec<RawChannel>,
    pub alerts: Option<RawAlerts>,
    /// `[tenants.data_labels]`: attached data's key = what the pages call it.
    #[serde(default)]
    pub data_labels: Table<Label>,
    /// `[tenants.telephony]`: what the telephony connector carries out.
    pub telephony: Option<RawTelephony>,
}

/// `[tenants.telephony]`: what the tenant's telephony connector carries out beyond blind
/// transfer; each defaults to false.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelephony {
    #[serde(default)]
    pub consult: bool,
    #[serde(default)]
    pub conference: bool,
}

/// `[tenants.alerts]`: when the console highlights an agent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    pub not_ready_secs: Option<Seconds>,
    pub wrap_up_secs: Option<Seconds>,
    pub hold_secs: Option<Seconds>,
}

/// One `[[tenants.channels]]` table: a messaging channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannel {
    pub id: Id,
    pub name: Option<Label>,
    pub capacity: Option<Capacity>,
    pub exclusive: Option<bool>,
}

/// `[tenants.routing]`: every key optional, defaults from `RoutingConfig::default`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRouting {
    pub reject_delay_secs: Option<Seconds>,
    pub max_ring_no_answer: Option<Count>,
    pub max_wrap_up_extension_secs: Option<Seconds>,
    pub rolling_window_secs: Option<Seconds>,
    pub voice_exclusive: Option<bool>,
    pub max_conversations: Option<Count>,
}

/// One `[[tenants.queues]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQueue {
    pub id: Id,
    pub name: Option<Label>,
    pub strategy: Option<StrategyName>,
    pub service_level: Option<RawServiceLevel>,
    pub max_wait: Option<RawMaxWait>,
    pub max_queue_length: Option<Count>,
    pub ring_timeout_secs: Option<Seconds>,
    pub wrap_up_secs: Option<Seconds>,
    pub priority_weight: Option<Count>,
    pub min_skill: Option<SkillLevel>,
    #[serde(default)]
    pub escalation: Vec<RawEscalationStep>,
    pub channel: Option<String>,
    /// The channels of a queue that serves several (`voice` for calls), instead of `channel`.
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub dispositions: Vec<RawReason>,
    pub disposition_required: Option<bool>,
    pub thresholds: Option<RawThresholds>,
}

/// A queue's `thresholds`: each `[warning, alarm]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThresholds {
    pub waiting: Option<[u32; 2]>,
    pub oldest_wait_secs: Option<[u32; 2]>,
    pub abandonment_percent: Option<[f64; 2]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServiceLevel {
    pub threshold_secs: Option<Seconds>,
    pub target_percent: Option<Percent>,
    pub variant: Option<VariantName>,
    pub short_abandon_secs: Option<Seconds>,
    pub first_response_secs: Option<Seconds>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMaxWait {
    pub after_secs: Seconds,
    pub overflow_to: Option<String>,
}

/// An escalation step names exactly one of `min_skill` and `overflow_to`; the loader checks that.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEscalationStep {
    pub after_secs: Seconds,
    pub min_skill: Option<SkillLevel>,
    pub overflow_to: Option<String>,
}

/// One `[[tenants.agents]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    pub id: Id,
    pub name: Option<Label>,
    #[serde(default)]
    pub skills: Table<SkillLevel>,
    #[serde(default)]
    pub capacity: Table<Capacity>,
}

/// One `[[tenants.not_ready_reasons]]` table, or one of a queue's `dispositions`: a code and
/// what people read for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReason {
    pub code: Id,
    pub label: Option<Label>,
}

/// `[simulator]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSimulator {
    pub tenant: Option<String>,
    pub seed: Option<Seed>,
    pub calls_per_hour: RawCallRate,
    pub aht_secs: Option<Seconds>,
    pub answer_delay_secs: Option<Seconds>,
    pub warm_up_secs: Option<Seconds>,
    pub patience_secs: Option<Seconds>,
    pub patience_distribution: Option<PatienceDistributionName>,
    #[serde(default)]
    pub virtual_agents: Vec<String>,
}

/// Defines a whole-number value type that refuses anything outside `$min..=$max` while it is
/// read, so the error points at the offending value.
macro_rules! whole_number {
    ($(#[$doc:meta])* $name:ident($ty:ty), $min:expr, $max:expr, $expecting:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub(super) struct $name(pub $ty);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct WholeVisitor;

                impl<'de> Visitor<'de> for WholeVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_i64<E: de::Error>(self, value: i64) -> Result<$name, E> {
                        let min: i64 = $min;
                        let max: i64 = $max;
                        if (min..=max).contains(&value) {
                            <$ty>::try_from(value)
                                .map($name)
                                .map_err(|_| E::invalid_value(Unexpected::Signed(value), &self))
                        } else {
                            Err(E::invalid_value(Unexpected::Signed(value), &self))
                        }
                    }

                    fn visit_u64<E: de::Error>(self, value: u64) -> Result<$name, E> {
                        match i64::try_from(value) {
                            Ok(value) => self.visit_i64(value),
                            Err(_) => Err(E::invalid_value(Unexpected::Unsigned(value), &self)),
                        }
                    }
                }

                deserializer.deserialize_i64(WholeVisitor)
            }
        }
    };
}

/// The longest duration the file accepts: one day. No queue rule sensibly runs longer, and the
/// cap keeps timestamp arithmetic in the core far from overflow.
pub(super) const MAX_SECONDS: i64 = 86_400;

whole_number!(
    /// A duration in whole seconds (keys ending in `_secs`).
    Seconds(u64),
    0,
    MAX_SECONDS,
    "a whole number of seconds from 0 to 86400"
);
whole_number!(
    /// A count or weight.
    Count(u32),
    0,
    i64::from(u32::MAX),
    "a whole number from 0 to 4294967295"
);
whole_number!(
    /// A skill level, 1 (can take the call) to 5 (expert).
    SkillLevel(u8),
    1,
    i64::from(crate::acd::config::MAX_SKILL),
    "a skill level from 1 to 5"
);
whole_number!(
    /// How many conversations of a channel an agent holds at once; 0 keeps the channel away.
    Capacity(u8),
    0,
    i64::from(crate::acd::config::MAX_CAPACITY),
    "a number of conversations from 0 to 10"
);
whole_number!(
    /// A TCP port (`[server] public_ws_port`, `public_wss_port`: 0 offers no such rung).
    Port(u16),
    0,
    i64::from(u16::MAX),
    "a port from 0 (not offered) to 65535"
);
whole_number!(
    /// The simulator's random seed (TOML integers are signed 64-bit).
    Seed(u64),
    0,
    i64::MAX,
    "a whole number from 0 to 9223372036854775807"
);

/// Defines a number value type (integer or float) that refuses anything outside `$min..=$max`.
macro_rules! bounded_number {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $expecting:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub(super) struct $name(pub f64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct NumberVisitor;

                impl<'de> Visitor<'de> for NumberVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_f64<E: de::Error>(self, value: f64) -> Result<$name, E> {
                        if ($min..=$max).contains(&value) {
                            Ok($name(value))
                        } else {
                            Err(E::invalid_value(Unexpected::Float(value), &self))
                        }
                    }

                    fn visit_i64<E: de::Error>(self, value: i64) -> Result<$name, E> {
                        // Whole numbers in this range are exact as f64.
                        if ($min..=$max).contains(&(value as f64)) {
                            Ok($name(value as f64))
                        } else {
                            Err(E::invalid_value(Unexpected::Signed(value), &self))
                        }
                    }

                    fn visit_u64<E: de::Error>(self, value: u64) -> Result<$name, E> {
                        if ($min..=$max).contains(&(value as f64)) {
                            Ok($name(value as f64))
                        } else {
                            Err(E::invalid_value(Unexpected::Unsigned(value), &self))
                        }
                    }
                }

                deserializer.deserialize_f64(NumberVisitor)
            }
        }
    };
}

bounded_number!(
    /// A service-level target.
    Percent,
    0.0,
    100.0,
    "a percentage from 0 to 100"
);
bounded_number!(
    /// A simulated arrival rate.
    Rate,
    0.0,
    1_000_000.0,
    "a number of calls per hour from 0 to 1000000"
);

/// The id of something the file defines (tenant, queue, agent, reason). Ids travel in URLs,
/// protocol messages and log lines, so they are kept to a safe alphabet.
#[derive(Debug, Clone)]
pub(super) struct Id(pub String);

/// The longest id the file accepts.
pub(super) const MAX_ID_LEN: usize = 64;

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl<'de> Visitor<'de> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "an id of 1 to {MAX_ID_LEN} ASCII letters, digits, `-`, `_` or `.`"
                )
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Id, E> {
                let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
                if !value.is_empty() && value.len() <= MAX_ID_LEN && value.chars().all(allowed) {
                    Ok(Id(value.to_owned()))
                } else {
                    Err(E::invalid_value(Unexpected::Str(value), &self))
                }
            }
        }

        deserializer.deserialize_str(IdVisitor)
    }
}

/// A display name or label: any text that is not blank.
#[derive(Debug, Clone)]
pub(super) struct Label(pub String);

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelVisitor;

        impl<'de> Visitor<'de> for LabelVisitor {
            type Value = Label;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-blank name (leave the key out to use the id)")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Label, E> {
                if value.trim().is_empty() {
                    Err(E::invalid_value(Unexpected::Str(value), &self))
                } else {
                    Ok(Label(value.to_owned()))
                }
            }
        }

        deserializer.deserialize_str(LabelVisitor)
    }
}

/// A queue strategy by the name the core gives it, so names are defined in one place.
#[derive(Debug, Clone, Copy)]
pub(super) struct StrategyName(pub Strategy);

impl<'de> Deserialize<'de> for StrategyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrategyVisitor;

        impl<'de> Visitor<'de> for StrategyVisitor {
            type Value = StrategyName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names: Vec<_> = Strategy::ALL.iter().map(|s| s.name()).collect();
                write!(f, "one of {}", names.join(", "))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<StrategyName, E> {
                Strategy::from_name(value)
                    .map(StrategyName)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(value), &self))
            }
        }

        deserializer.deserialize_str(StrategyVisitor)
    }
}

/// A service-level formula by the name the core gives it.
#[derive(Debug, Clone, Copy)]
pub(super) struct VariantName(pub ServiceLevelVariant);

impl<'de> Deserialize<'de> for VariantName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VariantVisitor;

        impl<'de> Visitor<'de> for VariantVisitor {
            type Value = VariantName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names: Vec<_> = ServiceLevelVariant::ALL.iter().map(|v| v.name()).collect();
                write!(f, "one of {}", names.join(", "))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<VariantName, E> {
                ServiceLevelVariant::from_name(value)
                    .map(VariantName)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(value), &self))
            }
        }

        deserializer.deserialize_str(VariantVisitor)
    }
}

/// A distribution of the simulated callers' patience by its name.
#[derive(Debug, Clone, Copy)]
pub(super) struct PatienceDistributionName(pub PatienceDistribution);

impl<'de> Deserialize<'de> for PatienceDistributionName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DistributionVisitor;

        impl<'de> Visitor<'de> for DistributionVisitor {
            type Value = PatienceDistributionName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names: Vec<_> = PatienceDistribution::ALL.iter().map(|d| d.name()).collect();
                write!(f, "one of {}", names.join(", "))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<PatienceDistributionName, E> {
                PatienceDistribution::from_name(value)
                    .map(PatienceDistributionName)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(value), &self))
            }
        }

        deserializer.deserialize_str(DistributionVisitor)
    }
}

/// A table of ids and numbers kept in file order: an agent's skills, `{ support = 5, sales = 3 }`
/// (round-robin queues offer calls in that order; toml's `preserve_order` feature keeps it), or
/// its capacities, `{ chat = 2 }`.
#[derive(Debug, Clone)]
pub(super) struct Table<V>(pub Vec<(String, V)>);

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Table<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TableVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for TableVisitor<V> {
            type Value = Table<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of ids and numbers, such as { support = 5 }")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Table<V>, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(Table(entries))
            }
        }

        deserializer.deserialize_map(TableVisitor(std::marker::PhantomData))
    }
}

/// `calls_per_hour`: one number for the whole tenant, or a table of rates per queue.
#[derive(Debug, Clone)]
pub(super) enum RawCallRate {
    Total(Rate),
    PerQueue(Vec<(String, Rate)>),
}

impl<'de> Deserialize<'de> for RawCallRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CallRateVisitor;

        impl<'de> Visitor<'de> for CallRateVisitor {
            type Value = RawCallRate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of calls per hour, or a table of them per queue such as { support = 60 }",
                )
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawCallRate, E> {
                Rate::deserialize(de::value::I64Deserializer::new(value)).map(RawCallRate::Total)
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<RawCallRate, E> {
                Rate::deserialize(de::value::U64Deserializer::new(value)).map(RawCallRate::Total)
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<RawCallRate, E> {
                Rate::deserialize(de::value::F64Deserializer::new(value)).map(RawCallRate::Total)
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<RawCallRate, M::Error> {
                let mut rates = Vec::new();
                while let Some(entry) = map.next_entry::<String, Rate>()? {
                    rates.push(entry);
                }
                Ok(RawCallRate::PerQueue(rates))
            }
        }

        deserializer.deserialize_any(CallRateVisitor)
    }
}
