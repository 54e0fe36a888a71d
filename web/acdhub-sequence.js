// acdhub-sequence.js: the client's bookkeeping of one session's events (acdhub.js). Events go
// to the page in `seq` order, each once: a seq already delivered is dropped, one that comes
// early waits here until the gap before it fills. The id of the session to resume and the last
// seq delivered are what a new link's `auth` names in `resume` (protocol.md, Resuming a
// session). No timers, no I/O: the client decides how long a gap may stay open.

/** What `admit` makes of an event. */
export const Admit = Object.freeze({
  /** The one expected next: deliver it now. */
  NEXT: "next",
  /** Later than the next: kept until the events before it have come. */
  EARLY: "early",
  /** Delivered already (a resend): dropped. */
  SEEN: "seen",
});

export class Sequence {
  #expected = 1;
  /** Events that came before their turn, by seq. */
  #early = new Map();
  /** The id of the session to resume: memory only, a secret that must not leak to another tab. */
  #session = null;
  /** The last seq the server was told this client has (`seen`). */
  #told = 0;

  /** The last event's seq in the current session (0 before the first). */
  get lastSeq() {
    return this.#expected - 1;
  }

  /** The seq of the event the page is owed next. */
  get expected() {
    return this.#expected;
  }

  /** Some event came early: the one before it is missing. */
  get gapOpen() {
    return this.#early.size > 0;
  }

  /** A new session begins: its snapshot is numbered from 1. */
  restart() {
    this.#expected = 1;
    this.#early.clear();
    this.#told = 0;
  }

  /**
   * The seq to tell the server this client has (`seen`: protocol.md, Resuming a session), or
   * null when it has had nothing since it was last told. It is the seq a resume would name, so
   * the server forgets nothing a resume would ask for.
   */
  get untold() {
    return this.lastSeq > this.#told ? this.lastSeq : null;
  }

  /** The server has been told the client has every event up to `seq`. */
  told(seq) {
    this.#told = Math.max(this.#told, seq);
  }

  /** The link that brought the early events is gone: a resume sends them again. */
  dropEarly() {
    this.#early.clear();
  }

  /** Sorts an arriving event: deliver it now, keep it for later, or drop it. */
  admit(event) {
    if (event.seq < this.#expected) return Admit.SEEN;
    if (event.seq > this.#expected) {
      this.#early.set(event.seq, event);
      return Admit.EARLY;
    }
    return Admit.NEXT;
  }

  /** `event` went to the page: the next one follows it. */
  delivered(event) {
    this.#expected = event.seq + 1;
  }

  /** The early event whose turn it now is, taken out; null when the next has not come. */
  takeDue() {
    const next = this.#early.get(this.#expected);
    if (next === undefined) return null;
    this.#early.delete(this.#expected);
    return next;
  }

  // --- Resume ---------------------------------------------------------------------------------

  /** A session can be resumed (one was signed in and not given up). */
  get resumable() {
    return this.#session !== null;
  }

  /** Keeps the id of the session just signed in (null: nothing to resume). */
  keep(session) {
    this.#session = session ?? null;
  }

  /** Gives the session up: the next sign-in starts a new one. */
  forget() {
    this.#session = null;
  }

  /** `auth`'s `resume` field, or null when there is nothing to resume. */
  resumeFields() {
    return this.#session === null ? null : { session: this.#session, last_seq: this.lastSeq };
  }
}

/**
 * Whether the first event after asking to resume says the resume was refused: a resume the
 * server could not grant starts a new session, whose snapshot is numbered from 1.
 */
export function resumeRefusedBy(event) {
  return event.seq === 1;
}

/** Whether the ack of a resuming `auth` (no event came before it) says the session carried on. */
export function resumeGrantedBy(result) {
  return result?.resumed === true;
}
