/* Generated from protocol/schemas/server/ack.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

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
   * Only on the ack of auth (an auth result) and of list_agents (an agent page).
   */
  result?: AuthResult | AgentPage;
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
  }[];
  /**
   * The agents the role needs named: an agent only itself; a supervisor, a wallboard and telephony none. The tenant's agents come in pages from list_agents (an agent's transfer targets, a supervisor's roster).
   */
  agents: Named[];
  /**
   * The reasons an agent may pick for not_ready.
   */
  not_ready_reasons: Named[];
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
