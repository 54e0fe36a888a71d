// diagnostics-main.js: the connection check's entry (diagnostics.html loads it): starts
// diagnostics.js, whose import alone does nothing.

import { start } from "./diagnostics.js";

start();
