/* Generated from protocol/schemas/client/list_queues.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent or supervisor: every lane of the tenant's queues with its waiting work and agents now, in the ack's result (a read: nothing changes). A WebAgent shows it beside its transfer targets.
 */
export interface ListQueues {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "list_queues";
}
