// agent-main.js: the WebAgent page's entry (agent.html loads it): starts agent.js, whose import
// alone does nothing.

import { start } from "./agent.js";

start();
