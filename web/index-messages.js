// index-messages.js: every text of the landing page (index.html), in English and German
// (i18n.js).

export const INDEX_MESSAGES = Object.freeze({
  en: Object.freeze({
    "page.version": "version {version}",
    "intro": "acdhub distributes your callers to your agents. Pick what this screen is for:",
    "nav.label": "Pages",
    "agent.text": "Sign in as an agent: go ready, take calls, hold, transfer, wrap up.",
    "wallboard.text":
      "For the TV on the wall: calls waiting, service level and agents per queue, live. Choose queues in the address: {address}.",
    "supervisor.text": "Every agent and queue at a glance; set agents ready or not ready, move and prioritise calls.",
    "diagnostics.heading": "Connection check",
    "diagnostics.text":
      "Trouble connecting? Open this in the browser that has it: it tests each way to reach acdhub from there and writes a report for support.",
    "demo.heading": "This is the built-in demo",
    "demo.text":
      "Simulated callers ring four queues and nine virtual agents answer. Every login has the password {password}: agents {agent1}, {agent2} and {agent3}, {supervisor}, and {wallboard}. Sign in as {agent}, press {ready}, and a call comes within a minute or two; open the wallboard beside it to watch.",
    "demo.ready": "Ready",
    "footer.health": "health",
  }),
  de: Object.freeze({
    "page.version": "Version {version}",
    "intro": "acdhub verteilt Ihre Anrufer auf Ihre Agenten. Wählen Sie, wofür dieser Bildschirm ist:",
    "nav.label": "Seiten",
    "agent.text": "Als Agent anmelden: auf Bereit gehen, Anrufe annehmen, halten, weiterleiten, nachbearbeiten.",
    "wallboard.text":
      "Für den Bildschirm an der Wand: wartende Anrufe, Servicelevel und Agenten je Warteschlange, live. Die Warteschlangen wählen Sie in der Adresse: {address}.",
    "supervisor.text":
      "Alle Agenten und Warteschlangen auf einen Blick; Agenten auf Bereit oder Nicht bereit setzen, Anrufe verschieben und priorisieren.",
    "diagnostics.heading": "Verbindungsprüfung",
    "diagnostics.text":
      "Probleme mit der Verbindung? Öffnen Sie diese Seite in dem Browser, der sie hat: Sie prüft jeden Weg zu acdhub von dort und schreibt einen Bericht für den Support.",
    "demo.heading": "Dies ist die eingebaute Demo",
    "demo.text":
      "Simulierte Anrufer rufen vier Warteschlangen an, und neun virtuelle Agenten nehmen an. Jede Anmeldung hat das Passwort {password}: die Agenten {agent1}, {agent2} und {agent3}, {supervisor} und {wallboard}. Melden Sie sich als {agent} an, drücken Sie {ready}, und in ein, zwei Minuten kommt ein Anruf; öffnen Sie daneben das Wallboard, um zuzusehen.",
    "demo.ready": "Bereit",
    "footer.health": "Status",
  }),
});
