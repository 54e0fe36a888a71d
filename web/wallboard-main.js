// wallboard-main.js: the wallboard page's entry (wallboard.html loads it): starts wallboard.js,
// whose import alone does nothing.

import { start } from "./wallboard.js";

start();
