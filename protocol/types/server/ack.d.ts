/* Generated from protocol/schemas/server/ack.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * @minItems 2
 * @maxItems 2
 */
export type CountPair = [number, number];

/**
 * A command succeeded. Not numbered; every event the command caused was sent before it.
 */
export interface Ack {
  type: "ack";
  /**
   * The command's id.
   */
  id: string;
  /**
   * Only on the ack of auth (an auth result), of list_agents (an agent page), of what_if (a staffing answer), of my_day (the agent's day), of list_queues (the queues now) and of agents_today (agents' days).
   */
  result?: AuthResult | AgentPage | Staffing | AgentDay | QueueList | AgentsToday | DisplayList | CreatedDisplay;
}
/**
 * The result of a successful auth: who the session is and what its tenant offers.
 */
export interface AuthResult {
  /**
   * An id from the tenant's configuration (queue, agent, not-ready reason, tenant, user): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
   */
  user: string;
  role: "agent" | "wallboard" | "supervisor" | "telephony" | "messaging";
  /**
   * An id from the tenant's configuration (queue, agent, not-ready reason, tenant, user): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
   */
  tenant: string;
  /**
   * The tenant's name as people read it ([[tenants]] name in the configuration; its id if none is given): a wallboard's title.
   */
  tenant_name: string;
  /**
   * The agent an agent session acts as; only for role agent.
   */
  agent?: string;
  /**
   * Authenticates later connections of the same principal (auth with token) until token_expires_at.
   */
  token: string;
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  token_expires_at: string;
  /**
   * The session's id, for a later auth's resume. A secret: keep it in memory.
   */
  session: string;
  /**
   * True when this auth continued the session its resume named; false for a new session (whose snapshot came before this ack).
   */
  resumed: boolean;
  /**
   * The tenant's queues, one entry per lane: a queue serving several channels is listed once per channel (same id and name), each with what that lane routes: voice, or a messaging channel.
   */
  queues: {
    /**
     * A queue of the tenant, such as `support`.
     */
    id: string;
    name: string;
    channel: "voice" | string;
    /**
     * The codes an agent may give the queue's calls (set_disposition), in the configured order; empty when the queue asks for none.
     */
    dispositions: Named[];
    /**
     * An agent's end_wrap_up of the queue's call is refused (disposition_required) until it gave a disposition; the wrap-up's deadline still ends it.
     */
    disposition_required: boolean;
    /**
     * Where displays colour the queue's figures, each [warning, alarm] (the warning not above the alarm), null where the queue sets none: calls waiting; the longest wait in seconds (none: the service level's threshold and twice it); today's abandonment rate in percent.
     */
    thresholds: {
      waiting: CountPair | null;
      oldest_wait_secs: CountPair | null;
      abandonment_percent: [number, number] | null;
    };
  }[];
  /**
   * The agents the role needs named: an agent only itself; a supervisor, a wallboard and telephony none. The tenant's agents come in pages from list_agents (an agent's transfer targets, a supervisor's roster).
   */
  agents: Named[];
  /**
   * The reasons an agent may pick for not_ready.
   */
  not_ready_reasons: Named[];
  /**
   * When a supervisor's console highlights an agent: longer than this many seconds not ready, in wrap-up, or with a caller on hold ([tenants.alerts]); null: never.
   */
  alerts: {
    not_ready_secs: number | null;
    wrap_up_secs: number | null;
    hold_secs: number | null;
  };
  /**
   * What pages call the keys of a call's attached data ([tenants.data_labels]), in the configured order: id is the key, name the label; a key not listed shows as itself.
   *
   * @maxItems 100
   */
  data_labels: Named[];
  /**
   * What the tenant's telephony connector carries out beyond blind transfer ([tenants.telephony]): consultation (warm) transfer and conference. A WebAgent shows their controls only where true.
   */
  telephony: {
    consult: boolean;
    conference: boolean;
  };
}
/**
 * Something of the tenant with its display name.
 */
export interface Named {
  /**
   * An id from the tenant's configuration (queue, agent, not-ready reason, tenant, user): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
   */
  id: string;
  name: string;
}
/**
 * The result of list_agents: a page of the tenant's agents in the tenant's order.
 */
export interface AgentPage {
  /**
   * @maxItems 500
   */
  agents: {
    /**
     * An agent of the tenant, such as `agent1`.
     */
    id: string;
    name: string;
    /**
     * What an agent is doing.
     */
    state: "logged_out" | "not_ready" | "ready" | "ringing" | "on_call" | "wrap_up";
  }[];
  /**
   * An agent of the tenant, such as `agent1`.
   */
  next?: string;
}
/**
 * The result of what_if: Erlang C, or Erlang A when callers are seen (or supposed) to hang up, for the queue's calls, from what its rolling window counted. Every figure can be recomputed from window, inputs and service_level (protocol.md, what_if).
 */
export interface Staffing {
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  at: string;
  /**
   * What the queue's voice lane counted in its rolling window: exact counts, durations in seconds to the millisecond.
   */
  window: {
    /**
     * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
     */
    start: string;
    /**
     * How long the counted window is.
     */
    secs: number;
    offered: number;
    short_abandoned: number;
    answered: number;
    abandoned: number;
    /**
     * Total wait of the answered calls.
     */
    answer_wait_secs: number;
    /**
     * Total wait of the abandoned calls (short abandons not counted).
     */
    abandon_wait_secs: number;
    handled: number;
    /**
     * Talk, hold and wrap-up of the handled calls.
     */
    handle_secs: number;
  };
  /**
   * The queue's agents logged in and not in not ready, now.
   */
  agents_working: number;
  service_level: {
    threshold_secs: number;
    target_percent: number;
    variant: "answered" | "offered" | "short_abandon_excluded";
  };
  /**
   * The figures the model used: the what_if's where it gave them, else the window's (null when the window has none).
   */
  inputs: {
    /**
     * (offered - short_abandoned) / window.secs x 3600.
     */
    calls_per_hour: number | null;
    /**
     * handle_secs / handled.
     */
    aht_secs: number | null;
    /**
     * (answer_wait_secs + abandon_wait_secs) / abandoned; null when nobody hung up (Erlang C).
     */
    patience_secs: number | null;
    /**
     * agents_working, unless the what_if supposed another number.
     */
    agents: number;
  };
  /**
   * erlang_a when inputs.patience_secs is known, else erlang_c; null without a rate and a handle time.
   */
  model: "erlang_a" | "erlang_c" | null;
  /**
   * calls_per_hour / 3600 x aht_secs, two decimals.
   */
  traffic_erlangs: number | null;
  /**
   * The fewest agents that reach the target under the queue's formula; null without a model, for a target of 100 %, or beyond 5,000 agents.
   */
  agents_needed: number | null;
  /**
   * What the model expects with inputs.agents; null when unavailable says why.
   */
  expected: {
    /**
     * Under the queue's service_level.variant.
     */
    service_level_percent: number;
    asa_secs: number;
    /**
     * Callers who find every agent busy.
     */
    wait_percent: number;
    /**
     * Callers who hang up unanswered; null under Erlang C.
     */
    abandon_percent: number | null;
    occupancy_percent: number;
  } | null;
  /**
   * Why there is no model (no_calls, no_handled_calls) or no expected figures (no_agents; overloaded: Erlang C with as many Erlangs as agents or more, the queue grows without bound); null when both are there.
   */
  unavailable: "no_calls" | "no_handled_calls" | "no_agents" | "overloaded" | null;
}
/**
 * The result of my_day: the agent's own day since local midnight in the tenant's time zone. Durations in seconds with two decimals. Calls count when their handling (talk, hold, wrap-up) ends.
 */
export interface AgentDay {
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  start: string;
  handled: number;
  talk_secs: number;
  hold_secs: number;
  wrap_up_secs: number;
  /**
   * (talk + hold + wrap-up) / handled; null before the first.
   */
  aht_secs: number | null;
  time_in_state: TimeInState;
  /**
   * (on call + wrap-up) / (on call + wrap-up + ready) today, as the queues' occupancy; null before any.
   */
  occupancy_percent: number | null;
  /**
   * The last calls handled (at most 8), the newest first; they stay across midnight.
   *
   * @maxItems 8
   */
  recent:
    | []
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ]
    | [
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        },
        {
          /**
           * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
           */
          call: string;
          /**
           * A queue of the tenant, such as `support`.
           */
          queue: string;
          caller: string | null;
          /**
           * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
           */
          connected_at: string;
          talk_secs: number;
          hold_secs: number;
          wrap_up_secs: number;
          disposition: string | null;
        }
      ];
}
/**
 * Time in each state today, up to now.
 */
export interface TimeInState {
  not_ready: number;
  ready: number;
  ringing: number;
  on_call: number;
  wrap_up: number;
}
/**
 * The result of list_queues: every lane of the tenant's queues, in the tenant's order, as it is now.
 */
export interface QueueList {
  queues: {
    /**
     * A queue of the tenant, such as `support`.
     */
    id: string;
    name: string;
    channel: "voice" | string;
    /**
     * Work waiting in the lane now (ringing work not counted).
     */
    waiting: number;
    /**
     * When the longest-waiting work entered the lane; null when none waits.
     */
    oldest_waiting_since: string | null;
    /**
     * The queue's agents ready now (an agent in several queues counts in each).
     */
    agents_ready: number;
    agents_logged_in: number;
  }[];
}
/**
 * The result of agents_today: a page of agents, each with its day so far, as my_day counts it (without the last calls).
 */
export interface AgentsToday {
  agents: {
    /**
     * An agent of the tenant, such as `agent1`.
     */
    agent: string;
    handled: number;
    aht_secs: number | null;
    time_in_state: TimeInState;
    occupancy_percent: number | null;
  }[];
  /**
   * An agent of the tenant, such as `agent1`.
   */
  next?: string;
}
/**
 * The result of list_displays: the tenant's displays (kiosk wallboards with a token of their own), oldest first; never their tokens.
 */
export interface DisplayList {
  /**
   * @maxItems 100
   */
  displays: {
    /**
     * An id from the tenant's configuration (queue, agent, not-ready reason, tenant, user): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
     */
    name: string;
    /**
     * The supervisor who made it.
     */
    created_by: string;
    /**
     * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
     */
    created_at: string;
  }[];
}
/**
 * The result of create_display: the new display's name and its token, shown this once (the server keeps only a hash of it). The display signs in with auth's display; /wallboard#display=<token> does that by itself.
 */
export interface CreatedDisplay {
  /**
   * An id from the tenant's configuration (queue, agent, not-ready reason, tenant, user): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
   */
  name: string;
  token: string;
}
