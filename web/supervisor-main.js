// supervisor-main.js: the supervisor's console's entry (supervisor.html loads it): starts
// supervisor.js, whose import alone does nothing.

import { start } from "./supervisor.js";

start();
