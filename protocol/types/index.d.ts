/* Generated from protocol/schemas/ by tests/browser/protocol-kit.test.mjs. Do not edit: change the schemas and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

// Every message of protocol acdhub.v1, by its `type`.
import type { Accept } from "./client/accept.js";
import type { AcceptConversation } from "./client/accept_conversation.js";
import type { AgentsToday } from "./client/agents_today.js";
import type { Auth } from "./client/auth.js";
import type { CallAnswered } from "./client/call_answered.js";
import type { CallArrived } from "./client/call_arrived.js";
import type { CallEnded } from "./client/call_ended.js";
import type { CallerHungUp } from "./client/caller_hung_up.js";
import type { CancelConsult } from "./client/cancel_consult.js";
import type { ClearPending } from "./client/clear_pending.js";
import type { CloseConversation } from "./client/close_conversation.js";
import type { CompleteTransfer } from "./client/complete_transfer.js";
import type { Conference } from "./client/conference.js";
import type { Consult } from "./client/consult.js";
import type { ConversationArrived } from "./client/conversation_arrived.js";
import type { CreateDisplay } from "./client/create_display.js";
import type { CustomerLeft } from "./client/customer_left.js";
import type { CustomerMessage } from "./client/customer_message.js";
import type { DeviceState } from "./client/device_state.js";
import type { EndConversationWrapUp } from "./client/end_conversation_wrap_up.js";
import type { EndMonitor } from "./client/end_monitor.js";
import type { EndWrapUp } from "./client/end_wrap_up.js";
import type { ExtendWrapUp } from "./client/extend_wrap_up.js";
import type { ForceState } from "./client/force_state.js";
import type { Hangup } from "./client/hangup.js";
import type { Hold } from "./client/hold.js";
import type { ListAgents } from "./client/list_agents.js";
import type { ListDisplays } from "./client/list_displays.js";
import type { ListQueues } from "./client/list_queues.js";
import type { Login } from "./client/login.js";
import type { Logout } from "./client/logout.js";
import type { Monitor } from "./client/monitor.js";
import type { MoveCall } from "./client/move_call.js";
import type { MyDay } from "./client/my_day.js";
import type { NotReady } from "./client/not_ready.js";
import type { Ping } from "./client/ping.js";
import type { Ready } from "./client/ready.js";
import type { Reject } from "./client/reject.js";
import type { RejectConversation } from "./client/reject_conversation.js";
import type { Resume } from "./client/resume.js";
import type { RevokeDisplay } from "./client/revoke_display.js";
import type { RingFailed } from "./client/ring_failed.js";
import type { Seen } from "./client/seen.js";
import type { SendMessage } from "./client/send_message.js";
import type { SetCallPriority } from "./client/set_call_priority.js";
import type { SetDisposition } from "./client/set_disposition.js";
import type { SetPending } from "./client/set_pending.js";
import type { SetTicker } from "./client/set_ticker.js";
import type { Subscribe } from "./client/subscribe.js";
import type { Transfer } from "./client/transfer.js";
import type { TransferConversation } from "./client/transfer_conversation.js";
import type { WhatIf } from "./client/what_if.js";
import type { CountPair } from "./server/ack.js";
import type { AgentState } from "./server/agent_state.js";
import type { CallConnected } from "./server/call_connected.js";
import type { CallHeld } from "./server/call_held.js";
import type { CallLeft } from "./server/call_left.js";
import type { CallResumed } from "./server/call_resumed.js";
import type { CallState } from "./server/call_state.js";
import type { CallTransferred } from "./server/call_transferred.js";
import type { Consultation } from "./server/consultation.js";
import type { ConversationAccepted } from "./server/conversation_accepted.js";
import type { ConversationClosed } from "./server/conversation_closed.js";
import type { ConversationLeft } from "./server/conversation_left.js";
import type { ConversationOffer } from "./server/conversation_offer.js";
import type { ConversationOfferCancelled } from "./server/conversation_offer_cancelled.js";
import type { ConversationState } from "./server/conversation_state.js";
import type { ConversationTransferred } from "./server/conversation_transferred.js";
import type { Error } from "./server/error.js";
import type { Heartbeat } from "./server/heartbeat.js";
import type { Hello } from "./server/hello.js";
import type { Message } from "./server/message.js";
import type { Monitoring } from "./server/monitoring.js";
import type { Offer } from "./server/offer.js";
import type { OfferCancelled } from "./server/offer_cancelled.js";
import type { PendingState } from "./server/pending_state.js";
import type { QueueStats } from "./server/queue_stats.js";
import type { QueueWaiting } from "./server/queue_waiting.js";
import type { TenantStats } from "./server/tenant_stats.js";
import type { Ticker } from "./server/ticker.js";

export type {
  Accept,
  AcceptConversation,
  AgentsToday,
  Auth,
  CallAnswered,
  CallArrived,
  CallEnded,
  CallerHungUp,
  CancelConsult,
  ClearPending,
  CloseConversation,
  CompleteTransfer,
  Conference,
  Consult,
  ConversationArrived,
  CreateDisplay,
  CustomerLeft,
  CustomerMessage,
  DeviceState,
  EndConversationWrapUp,
  EndMonitor,
  EndWrapUp,
  ExtendWrapUp,
  ForceState,
  Hangup,
  Hold,
  ListAgents,
  ListDisplays,
  ListQueues,
  Login,
  Logout,
  Monitor,
  MoveCall,
  MyDay,
  NotReady,
  Ping,
  Ready,
  Reject,
  RejectConversation,
  Resume,
  RevokeDisplay,
  RingFailed,
  Seen,
  SendMessage,
  SetCallPriority,
  SetDisposition,
  SetPending,
  SetTicker,
  Subscribe,
  Transfer,
  TransferConversation,
  WhatIf,
  CountPair,
  AgentState,
  CallConnected,
  CallHeld,
  CallLeft,
  CallResumed,
  CallState,
  CallTransferred,
  Consultation,
  ConversationAccepted,
  ConversationClosed,
  ConversationLeft,
  ConversationOffer,
  ConversationOfferCancelled,
  ConversationState,
  ConversationTransferred,
  Error,
  Heartbeat,
  Hello,
  Message,
  Monitoring,
  Offer,
  OfferCancelled,
  PendingState,
  QueueStats,
  QueueWaiting,
  TenantStats,
  Ticker,
};

/** What a client sends: a command (protocol.md, Client messages). */
export type ClientMessage =
  | Accept
  | AcceptConversation
  | AgentsToday
  | Auth
  | CallAnswered
  | CallArrived
  | CallEnded
  | CallerHungUp
  | CancelConsult
  | ClearPending
  | CloseConversation
  | CompleteTransfer
  | Conference
  | Consult
  | ConversationArrived
  | CreateDisplay
  | CustomerLeft
  | CustomerMessage
  | DeviceState
  | EndConversationWrapUp
  | EndMonitor
  | EndWrapUp
  | ExtendWrapUp
  | ForceState
  | Hangup
  | Hold
  | ListAgents
  | ListDisplays
  | ListQueues
  | Login
  | Logout
  | Monitor
  | MoveCall
  | MyDay
  | NotReady
  | Ping
  | Ready
  | Reject
  | RejectConversation
  | Resume
  | RevokeDisplay
  | RingFailed
  | Seen
  | SendMessage
  | SetCallPriority
  | SetDisposition
  | SetPending
  | SetTicker
  | Subscribe
  | Transfer
  | TransferConversation
  | WhatIf;

/** What the server sends: hello, heartbeat, a reply or an event (protocol.md, Server messages). */
export type ServerMessage =
  | CountPair
  | AgentState
  | CallConnected
  | CallHeld
  | CallLeft
  | CallResumed
  | CallState
  | CallTransferred
  | Consultation
  | ConversationAccepted
  | ConversationClosed
  | ConversationLeft
  | ConversationOffer
  | ConversationOfferCancelled
  | ConversationState
  | ConversationTransferred
  | Error
  | Heartbeat
  | Hello
  | Message
  | Monitoring
  | Offer
  | OfferCancelled
  | PendingState
  | QueueStats
  | QueueWaiting
  | TenantStats
  | Ticker;
