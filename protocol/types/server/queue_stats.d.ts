/* Generated from protocol/schemas/server/queue_stats.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * A queue's live figures and statistics (wallboards, supervisors).
 */
export interface QueueStats {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "queue_stats";
  /**
   * The instant these figures describe, on the server's clock.
   */
  at: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  name: string;
  /**
   * Which lane of the queue these figures are: voice, or a messaging channel (then offered and answered count conversations; answered is taken by an agent). A queue serving several channels has one queue_stats per channel.
   */
  channel: "voice" | string;
  waiting: number;
  /**
   * Calls of the queue ringing at an agent.
   */
  ringing: number;
  /**
   * When the longest-waiting call entered the queue; null when none waits.
   */
  oldest_waiting_since: string | null;
  service_level: {
    threshold_secs: number;
    target_percent: number;
    /**
     * The formula of service_level_percent.
     */
    variant: "answered" | "offered" | "short_abandon_excluded";
  };
  agents: AgentCounts;
  today: Window;
  interval: Window1;
  rolling: Window2;
  /**
   * A queue of conversations: its agents' places now, and per window first response, concurrency and occupancy by capacity used; null for a queue of calls.
   */
  conversations: {
    /**
     * Places the queue's agents staff in its channel now: their capacity while they may take new conversations of it, only what they hold while their state or a cross-channel rule keeps new ones away.
     */
    places: number;
    /**
     * Conversations of the channel the queue's agents hold now: offered, open or in wrap-up.
     */
    places_taken: number;
    /**
     * The queue's agents holding at least one conversation of its channel now.
     */
    agents_holding: number;
    first_response_threshold_secs: number;
    today: ConversationWindow;
    interval: ConversationWindow;
    rolling: ConversationWindow;
  } | null;
  /**
   * Calls handled today (since local midnight) by the disposition their agent gave: each agent's handling counts once when its wrap-up ends, so a transferred call counts for each agent who handled it.
   */
  dispositions: {
    /**
     * Disposition code to count; a code counted today stays until midnight even if a reload removed it.
     */
    today: {
      [k: string]: number;
    };
    /**
     * Handled today without a disposition.
     */
    none_today: number;
  };
}
/**
 * How many of the queue's agents are in each state now. An agent in several queues counts in each.
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
/**
 * One window's conversation figures: exact counts and the ratios derived from them (null until there is something to divide by).
 */
export interface ConversationWindow {
  first_responses: number;
  first_responses_within_threshold: number;
  /**
   * A percentage, 0 to 100 with at most two decimals; null until there is something to divide by.
   */
  first_response_service_level_percent: number | null;
  /**
   * Seconds, with at most two decimals; null until there is something to divide by.
   */
  average_first_response_secs: number | null;
  /**
   * Conversations held at once per agent, over the time the agent held any (places taken / time holding); two decimals, null until there is something to divide by.
   */
  concurrency: number | null;
  /**
   * A percentage, 0 to 100 with at most two decimals; null until there is something to divide by.
   */
  capacity_occupancy_percent: number | null;
}
