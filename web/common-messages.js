// common-messages.js: the texts every page shares, in English and German (i18n.js puts them in
// every translator): the agent states, the not-ready reasons the ACD sets itself, the connection
// badge, the sign-in form's own words and why a sign-in was refused, the language switch.
//
// The German is a German contact center's: Bereit, Nicht bereit, Abgemeldet, Im Gespräch,
// Nachbearbeitung (wrap-up), Klingelt. A page's own texts are in its `<page>-messages.js`.

export const COMMON_MESSAGES = Object.freeze({
  en: Object.freeze({
    // The switch, in the language it switches to (a reader of the other one sees it).
    "language.show": "Show the pages in English",

    "state.logged_out": "Logged out",
    "state.not_ready": "Not ready",
    "state.ready": "Ready",
    "state.ringing": "Ringing",
    "state.on_call": "On call",
    "state.wrap_up": "Wrap-up",

    "reason.login": "Login",
    "reason.no_answer": "No answer",
    "reason.disconnected": "Disconnected",

    "connection.connecting": "Connecting…",
    "connection.authenticating": "Signing in…",
    "connection.live": "Live",
    "connection.reconnecting": "Reconnecting",
    "connection.stopped": "Offline",
    "connection.retryIn": " in {secs} s",

    "signIn.missing": "Enter your user name and password.",
    "signIn.refused.auth_failed": "wrong user name or password",
    "signIn.refused.session_ended": "Your session has ended: please sign in again.",
    "signIn.refused.close_1002": "the server closed the session: the browser broke the WebSocket protocol ({code})",
    "signIn.refused.close_1007": "the server closed the session: a message was not UTF-8 ({code})",
    "signIn.refused.close_1009": "the server closed the session: a message was too large ({code})",
    "signIn.refused.close_1008":
      "the server closed the session: too many refused or too many messages, or this user has too many sessions open ({code})",
    "signIn.refused.close_4003": "the server closed the session: too many failed sign-ins ({code})",
    "signIn.refused.close_4009": "the session was taken over by another connection (is this page open twice?) ({code})",
    "signIn.refused.close_4010": "this display was revoked: ask a supervisor for a new display link ({code})",
    "signIn.refused.display_revoked": "this display was revoked: ask a supervisor for a new display link",
  }),
  de: Object.freeze({
    "language.show": "Die Seiten auf Deutsch anzeigen",

    "state.logged_out": "Abgemeldet",
    "state.not_ready": "Nicht bereit",
    "state.ready": "Bereit",
    "state.ringing": "Klingelt",
    "state.on_call": "Im Gespräch",
    "state.wrap_up": "Nachbearbeitung",

    "reason.login": "Anmeldung",
    "reason.no_answer": "Nicht angenommen",
    "reason.disconnected": "Verbindung getrennt",

    "connection.connecting": "Verbinde…",
    "connection.authenticating": "Anmeldung…",
    "connection.live": "Verbunden",
    "connection.reconnecting": "Neuverbindung",
    "connection.stopped": "Offline",
    "connection.retryIn": " in {secs} s",

    "signIn.missing": "Bitte Benutzername und Passwort eingeben.",
    "signIn.refused.auth_failed": "Benutzername oder Passwort falsch",
    "signIn.refused.session_ended": "Ihre Sitzung ist abgelaufen: Bitte melden Sie sich erneut an.",
    "signIn.refused.close_1002": "Der Server hat die Sitzung beendet: Der Browser hat das WebSocket-Protokoll verletzt ({code})",
    "signIn.refused.close_1007": "Der Server hat die Sitzung beendet: Eine Nachricht war kein UTF-8 ({code})",
    "signIn.refused.close_1009": "Der Server hat die Sitzung beendet: Eine Nachricht war zu groß ({code})",
    "signIn.refused.close_1008":
      "Der Server hat die Sitzung beendet: zu viele abgelehnte oder zu viele Nachrichten, oder dieser Benutzer hat zu viele Sitzungen offen ({code})",
    "signIn.refused.close_4003": "Der Server hat die Sitzung beendet: zu viele fehlgeschlagene Anmeldungen ({code})",
    "signIn.refused.close_4009": "Die Sitzung wurde von einer anderen Verbindung übernommen (ist diese Seite zweimal offen?) ({code})",
    "signIn.refused.close_4010": "Diese Anzeige wurde widerrufen: Bitten Sie einen Supervisor um einen neuen Anzeige-Link ({code})",
    "signIn.refused.display_revoked": "Diese Anzeige wurde widerrufen: Bitten Sie einen Supervisor um einen neuen Anzeige-Link",
  }),
});
