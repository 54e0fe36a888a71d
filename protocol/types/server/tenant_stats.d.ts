/* Generated from protocol/schemas/server/tenant_stats.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The tenant's totals over every queue (wallboards, supervisors): call figures summed over the queues, each agent counted once.
 */
export interface TenantStats {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "tenant_stats";
  /**
   * The instant these figures describe, on the server's clock.
   */
  at: string;
  /**
   * Calls waiting in any queue.
   */
  waiting: number;
  /**
   * Calls of the tenant ringing at an agent.
   */
  ringing: number;
  /**
   * When the longest-waiting call of any queue entered it; null when none waits.
   */
  oldest_waiting_since: string | null;
  /**
   * The formula of service_level_percent: the queues' own when they all use one, answered otherwise. Each call counts against the threshold of the queue it was in.
   */
  service_level_variant: "answered" | "offered" | "short_abandon_excluded";
  agents: AgentCounts;
  today: Window;
  interval: Window1;
  rolling: Window2;
}
/**
 * Agents of the tenant by state, each agent once.
 */
export interface AgentCounts {
  /**
   * Every state but logged_out.
   */
  logged_in: number;
  ready: number;
  /**
   * An offer is ringing (reserved).
   */
  ringing: number;
  on_call: number;
  wrap_up: number;
  not_ready: number;
  /**
   * The not_ready agents by reason code.
   */
  not_ready_by_reason: {
    [k: string]: number;
  };
}
/**
 * Since local midnight in the tenant's time zone.
 */
export interface Window {
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  start: string;
  /**
   * Calls that entered the queue (an overflowed or transferred call counts in each queue it enters), short abandons included.
   */
  offered: number;
  answered: number;
  /**
   * Answered within the service-level threshold.
   */
  answered_within_threshold: number;
  /**
   * Callers who hung up while waiting or ringing, after the short-abandon threshold.
   */
  abandoned: number;
  /**
   * Callers who hung up before the short-abandon threshold: counted in offered too, and in no other count (not in abandoned).
   */
  short_abandoned: number;
  /**
   * Calls that left for another queue unanswered (maximum wait, escalation, a supervisor's move).
   */
  overflowed: number;
  /**
   * Calls that reached the maximum wait with nowhere to overflow to.
   */
  timed_out: number;
  /**
   * Calls turned away because the queue was full; not counted as offered.
   */
  refused: number;
  /**
   * By the queue's service_level.variant.
   */
  service_level_percent: number | null;
  /**
   * Average speed of answer: total wait of answered calls / answered. A call's wait runs from entering the queue to the answer: the time it rang at agents is part of it.
   */
  asa_secs: number | null;
  /**
   * Average handle time: (talk + hold + wrap-up) / handled calls.
   */
  aht_secs: number | null;
  /**
   * abandoned / (offered - short_abandoned), at most 100: short abandons are left out of both. A call counts in the window of each of its events, so a window can hold abandons of calls offered before it.
   */
  abandonment_rate_percent: number | null;
  /**
   * Handling time / (handling + ready idle time).
   */
  occupancy_percent: number | null;
}
/**
 * The current 15-minute interval.
 */
export interface Window1 {
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  start: string;
  /**
   * Calls that entered the queue (an overflowed or transferred call counts in each queue it enters), short abandons included.
   */
  offered: number;
  answered: number;
  /**
   * Answered within the service-level threshold.
   */
  answered_within_threshold: number;
  /**
   * Callers who hung up while waiting or ringing, after the short-abandon threshold.
   */
  abandoned: number;
  /**
   * Callers who hung up before the short-abandon threshold: counted in offered too, and in no other count (not in abandoned).
   */
  short_abandoned: number;
  /**
   * Calls that left for another queue unanswered (maximum wait, escalation, a supervisor's move).
   */
  overflowed: number;
  /**
   * Calls that reached the maximum wait with nowhere to overflow to.
   */
  timed_out: number;
  /**
   * Calls turned away because the queue was full; not counted as offered.
   */
  refused: number;
  /**
   * By the queue's service_level.variant.
   */
  service_level_percent: number | null;
  /**
   * Average speed of answer: total wait of answered calls / answered. A call's wait runs from entering the queue to the answer: the time it rang at agents is part of it.
   */
  asa_secs: number | null;
  /**
   * Average handle time: (talk + hold + wrap-up) / handled calls.
   */
  aht_secs: number | null;
  /**
   * abandoned / (offered - short_abandoned), at most 100: short abandons are left out of both. A call counts in the window of each of its events, so a window can hold abandons of calls offered before it.
   */
  abandonment_rate_percent: number | null;
  /**
   * Handling time / (handling + ready idle time).
   */
  occupancy_percent: number | null;
}
/**
 * The last rolling_window_secs (15 minutes in the demo).
 */
export interface Window2 {
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  start: string;
  /**
   * Calls that entered the queue (an overflowed or transferred call counts in each queue it enters), short abandons included.
   */
  offered: number;
  answered: number;
  /**
   * Answered within the service-level threshold.
   */
  answered_within_threshold: number;
  /**
   * Callers who hung up while waiting or ringing, after the short-abandon threshold.
   */
  abandoned: number;
  /**
   * Callers who hung up before the short-abandon threshold: counted in offered too, and in no other count (not in abandoned).
   */
  short_abandoned: number;
  /**
   * Calls that left for another queue unanswered (maximum wait, escalation, a supervisor's move).
   */
  overflowed: number;
  /**
   * Calls that reached the maximum wait with nowhere to overflow to.
   */
  timed_out: number;
  /**
   * Calls turned away because the queue was full; not counted as offered.
   */
  refused: number;
  /**
   * By the queue's service_level.variant.
   */
  service_level_percent: number | null;
  /**
   * Average speed of answer: total wait of answered calls / answered. A call's wait runs from entering the queue to the answer: the time it rang at agents is part of it.
   */
  asa_secs: number | null;
  /**
   * Average handle time: (talk + hold + wrap-up) / handled calls.
   */
  aht_secs: number | null;
  /**
   * abandoned / (offered - short_abandoned), at most 100: short abandons are left out of both. A call counts in the window of each of its events, so a window can hold abandons of calls offered before it.
   */
  abandonment_rate_percent: number | null;
  /**
   * Handling time / (handling + ready idle time).
   */
  occupancy_percent: number | null;
}
