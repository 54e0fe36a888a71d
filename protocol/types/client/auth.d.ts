/* Generated from protocol/schemas/client/auth.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Authenticate the session: with user and password, with a token from an earlier auth's result, or with a display's token (a kiosk wallboard's, from a supervisor's create_display; role wallboard, nothing else; unknown or revoked: display_revoked); with resume, continue a session whose connection dropped. The first message of every connection.
 */
export type Auth = {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "auth";
  /**
   * The principal's user id: 1 to 64 ASCII letters, digits, -, _ or .
   */
  user?: string;
  password?: string;
  token?: string;
  /**
   * A display's token, as create_display gave it (the link's #display=...).
   */
  display?: string;
  /**
   * Continue the session the AuthResult named, after the last event received: the server replays the events missed, or starts a new session (a resync).
   */
  resume?: {
    /**
     * The AuthResult's session.
     */
    session: string;
    /**
     * The seq of the last event received (0: none). May be left out only on an SSE link opened with Last-Event-ID.
     */
    last_seq?: number;
  };
} & (
  | {
      token?: never;
      display?: never;
      [k: string]: unknown;
    }
  | {
      user?: never;
      password?: never;
      display?: never;
      [k: string]: unknown;
    }
  | {
      user?: never;
      password?: never;
      token?: never;
      [k: string]: unknown;
    }
);
