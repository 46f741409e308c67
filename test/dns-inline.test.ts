import { init } from "../src/index.js";
import { dnsSuite } from "./suites/dns-suite.js";

init({ reactor: "inline" });
dnsSuite(() => init({ reactor: "inline" }), "inline");
