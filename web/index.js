// index.js: the landing page in the browser's language, with the switch. Importing it does
// nothing: index-main.js calls `start()`.

import { languageSwitch, localize, pageTranslator } from "./i18n.js";
import { INDEX_MESSAGES } from "./index-messages.js";

/** Puts the landing page in its language and wires the switch. */
export function start() {
  const t = pageTranslator(INDEX_MESSAGES);
  localize(document, t);
  languageSwitch(document.querySelector('[data-role="language"]'), t);
}
