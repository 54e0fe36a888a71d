// index-main.js: the landing page's entry (index.html loads it): starts index.js, whose import
// alone does nothing.

import { start } from "./index.js";

start();
