// format.js: what the pages say, as pure functions of what the server sent: durations,
// percentages, the names of agent states and not-ready reasons. No DOM, no clock (the time
// comes in), so the *-state.js modules use them too and Node tests them as they are.
//
// Each figure is English as it always was unless a `locale` (a BCP 47 tag such as "de-DE") is
// given: then its numbers are that locale's ("80,5 %"). A name (`stateLabel`, `reasonName`)
// takes a translator (i18n.js's `translator`, with common-messages.js) for the same reason.

/** `m:ss`, or `h:mm:ss` from an hour on; negative durations show as 0:00. */
export function formatDuration(totalSeconds) {
  const secs = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(secs / 3600);
  const minutes = Math.floor((secs % 3600) / 60);
  const seconds = String(secs % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Seconds from an RFC 3339 instant until `nowMs` (the server's clock, see Client.serverNow). */
export function secondsSince(instant, nowMs) {
  return (nowMs - Date.parse(instant)) / 1000;
}

/**
 * A number with exactly `digits` decimals in `locale`'s way ("1,234.5" in English, "1.234,5" in
 * German); without a locale, as `toFixed` writes it ("1234.5"); an en dash for none.
 */
export function formatNumber(value, digits = 0, locale = undefined) {
  if (value === null || value === undefined) return "–";
  if (locale === undefined || locale === null) return value.toFixed(digits);
  // Rounded as toFixed rounds (the binary value: 83.35 is 83.3), in every language alike.
  return numberFormat(locale, digits).format(Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
}

const numberFormats = new Map();

/** Intl.NumberFormat of `locale` with exactly `digits` decimals (or as it likes, for null), made once. */
export function numberFormat(locale, digits = null) {
  const key = `${locale}|${digits}`;
  let format = numberFormats.get(key);
  if (!format) {
    const options = digits === null ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

/**
 * A percentage as a wallboard shows it: `83.3 %` (in `locale`'s way when given: `83,3 %` in
 * German), or an en dash when there is none yet.
 */
export function formatPercent(value, digits = 1, locale = undefined) {
  return value === null || value === undefined ? "–" : `${formatNumber(value, digits, locale)} %`;
}

/** The names of agent states, as people read them. */
export const STATE_LABELS = Object.freeze({
  logged_out: "Logged out",
  not_ready: "Not ready",
  ready: "Ready",
  ringing: "Ringing",
  on_call: "On call",
  wrap_up: "Wrap-up",
});

/**
 * The name of agent state `state`: from the translator `t` (its `state.<state>`), or in English
 * (`STATE_LABELS`) without one; the state's code when it has no name.
 */
export function stateLabel(state, t = null) {
  if (t) return t.has(`state.${state}`) ? t(`state.${state}`) : state;
  return STATE_LABELS[state] ?? state;
}

/** The states in which a state asked for becomes the pending state instead. */
export const BUSY_STATES = new Set(["ringing", "on_call", "wrap_up"]);

/** The not-ready reasons the ACD sets itself, which no tenant lists. */
const ACD_REASONS = Object.freeze({ login: "Login", no_answer: "No answer", disconnected: "Disconnected" });

/**
 * A not-ready reason's name: the tenant's (from `namesById`), or the ACD's own (in the
 * language of the translator `t`, its `reason.<code>`, when given), or the code.
 */
export function reasonName(names, reason, t = null) {
  const own = names.get(reason);
  if (own !== undefined) return own;
  if (t && Object.hasOwn(ACD_REASONS, reason)) return t(`reason.${reason}`);
  return ACD_REASONS[reason] ?? reason;
}

/** Names by id, from an AuthResult list such as `queues` or `not_ready_reasons`. */
export function namesById(list = []) {
  return new Map(list.map(({ id, name }) => [id, name]));
}

/** The channel of calls; every other channel is a messaging channel, whose lanes route conversations. */
export const VOICE = "voice";

/**
 * A lane's key. A queue serves one lane per channel (its calls, its conversations of each
 * messaging channel), named by the queue's id and the channel; the pages key whatever is counted
 * per lane (queue_waiting, queue_stats) by this. Ids never hold a `:`, so no two lanes share one.
 */
export function laneKey(queue, channel = VOICE) {
  return `${queue}:${channel ?? VOICE}`;
}

/**
 * The lanes of an AuthResult's `queues` (one entry per lane: a queue serving voice and chat is
 * listed twice, with the same id and name), in its order: `{key, id, name, channel}`.
 */
export function lanesOf(queues = []) {
  return (queues ?? []).map(({ id, name, channel }) => ({ key: laneKey(id, channel ?? VOICE), id, name, channel: channel ?? VOICE }));
}

/**
 * The queues with a lane of `channel`, each once, in the tenant's order, as `[id, name]`: where a
 * call (`voice`) or a conversation of `channel` may be transferred or moved.
 */
export function queuesServing(queues, channel = VOICE) {
  const found = new Map();
  for (const lane of lanesOf(queues)) if (lane.channel === channel && !found.has(lane.id)) found.set(lane.id, lane.name);
  return [...found];
}

/** How many lanes each queue has, by queue id: more than one, and a page names each lane's channel. */
export function laneCounts(queues) {
  const counts = new Map();
  for (const lane of lanesOf(queues)) counts.set(lane.id, (counts.get(lane.id) ?? 0) + 1);
  return counts;
}

/**
 * Who set the agent's state (`agent_state`'s `by`) after `event`, given the `known` state before
 * it. An event that changes only a detail of the state the agent is in (its phone, a hold:
 * `previous` is `state`, and `since` and the reason stand) names nobody, yet the state is still
 * the one the supervisor set: that stays. Otherwise the event's own `by`, or null.
 */
export function setBy(known, event) {
  if (event.by) return event.by;
  const detailOnly =
    Boolean(known) &&
    event.previous === event.state &&
    known.state === event.state &&
    known.since === event.since &&
    (known.reason ?? null) === (event.reason ?? null);
  return detailOnly ? (known.by ?? null) : null;
}

/**
 * What a page says of an agent's phone (`agent_state`'s `device`) in `state`: `unregistered` or
 * `in_use` while that keeps calls away from a logged-in agent, else null. Never reported or
 * `available`: nothing (the ACD takes it as available). Logged out: nothing (no calls anyway).
 * `in_use` while ringing, on a call or in wrap-up: nothing, since the ACD's own call explains it.
 */
export function phoneIssue(state, device) {
  if (!state || state === "logged_out") return null;
  if (device === "unregistered") return device;
  if (device === "in_use" && !BUSY_STATES.has(state)) return device;
  return null;
}

/**
 * A short time in seconds as the staffing figures say it: `10.5 s` under a minute (`10,5 s` in
 * a German `locale`), `m:ss` (as formatDuration) from a minute on; an en dash when there is none.
 */
export function formatSeconds(secs, locale = undefined) {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return "–";
  const value = Math.max(0, secs);
  return value < 59.95 ? `${formatNumber(value, 1, locale)} s` : formatDuration(Math.round(value));
}

/**
 * How loud a figure is against its queue's `[warning, alarm]` (`thresholds` of the AuthResult):
 * `high` at or past the alarm, `raised` at or past the warning, else (or without levels, or
 * without a figure) `none`. The wallboard's tiles and the console's rows both go by it.
 */
export function alertOf(value, levels) {
  if (!Array.isArray(levels) || value === null || value === undefined) return "none";
  if (value >= levels[1]) return "high";
  if (value >= levels[0]) return "raised";
  return "none";
}

/**
 * How loud a longest wait of `secs` is: against the queue's own `levels` where it sets them
 * (`alertOf`), else past its service level's `threshold` (`raised`) and past twice it (`high`).
 * `over` is the limit passed, for the words beside it (null when none is).
 */
export function waitAlert(secs, levels, threshold) {
  if (Array.isArray(levels)) {
    const alert = alertOf(secs, levels);
    return { alert, over: alert === "high" ? levels[1] : alert === "raised" ? levels[0] : null };
  }
  if (threshold === null || threshold === undefined || !(secs > threshold)) return { alert: "none", over: null };
  return { alert: secs > 2 * threshold ? "high" : "raised", over: threshold };
}
