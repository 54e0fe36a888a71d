/* Generated from protocol/schemas/server/error.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * A command was refused; it changed nothing. Not numbered.
 */
export interface Error {
  type: "error";
  /**
   * The refused command's id; null when the message was too broken to read one.
   */
  id: string | null;
  /**
   * Stable and machine-readable: branch on this.
   */
  code:
    | "malformed_json"
    | "bad_message"
    | "unknown_type"
    | "binary_frame"
    | "not_authenticated"
    | "already_authenticated"
    | "auth_failed"
    | "auth_throttled"
    | "forbidden"
    | "unavailable"
    | "storage_unavailable"
    | "outcome_unknown"
    | "audit_unavailable"
    | "rate_limited"
    | "too_many_sessions"
    | "display_revoked"
    | "unknown_agent"
    | "unknown_queue"
    | "unknown_call"
    | "unknown_reason"
    | "duplicate_call"
    | "already_logged_in"
    | "not_logged_in"
    | "not_offered"
    | "not_on_call"
    | "already_on_hold"
    | "not_on_hold"
    | "not_in_wrap_up"
    | "agent_not_available"
    | "transfer_to_self"
    | "not_ringing"
    | "not_waiting"
    | "agent_not_busy"
    | "no_pending_state"
    | "bad_extension"
    | "bad_arrival"
    | "not_a_call"
    | "not_a_conversation"
    | "wrong_channel"
    | "not_in_conversation"
    | "conversation_closed"
    | "conversation_open"
    | "message_too_long"
    | "empty_message"
    | "transcript_full"
    | "holds_conversations"
    | "not_handling"
    | "unknown_disposition"
    | "notes_too_long"
    | "disposition_required"
    | "agent_not_on_call"
    | "not_monitoring"
    | "too_many_monitors"
    | "not_supported"
    | "consult_in_progress"
    | "not_consulting"
    | "consult_not_answered"
    | "bad_ticker"
    | "bad_display_name"
    | "duplicate_display"
    | "too_many_displays"
    | "unknown_display";
  /**
   * For people; its wording may change.
   */
  message: string;
}
