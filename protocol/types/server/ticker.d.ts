/* Generated from protocol/schemas/server/ticker.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The message on the tenant's wallboards, to every wallboard and supervisor that subscribed: a supervisor set or replaced it (text), or cleared it (text null); by is that supervisor, at when. In a subscription's snapshot (only while a message is shown), the message shown now, with who set it and when.
 */
export interface Ticker {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "ticker";
  /**
   * The message: 1 to 280 characters of one line, no blanks around it; null when it was cleared.
   */
  text: string | null;
  /**
   * The supervisor's user name, as it signed in.
   */
  by: string;
  /**
   * When it was set or cleared.
   */
  at: string;
}
