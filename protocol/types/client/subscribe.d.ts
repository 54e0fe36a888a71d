/* Generated from protocol/schemas/client/subscribe.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Wallboard or supervisor: start, or replace, the subscription. Without `queues`: every queue of the tenant. Statistics come as a snapshot, then as updates coalesced to at most stats_updates_per_sec a second.
 */
export interface Subscribe {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "subscribe";
  /**
   * Items: A queue of the tenant, such as `support`.
   */
  queues?: string[];
  /**
   * Also receive the tenant's totals (tenant_stats). Default true.
   */
  tenant_total?: boolean;
}
