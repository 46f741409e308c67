import { init } from "../src/index.js";
import { tcpHostnameSuite } from "./suites/tcp-hostname-suite.js";

init({ reactor: "inline" });
tcpHostnameSuite("inline");
