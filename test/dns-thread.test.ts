import { init } from "../src/index.js";
import { dnsSuite } from "./suites/dns-suite.js";

init();
dnsSuite(() => init(), "thread");
