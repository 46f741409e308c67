import { init } from "reactor-executor";
import { tcpSuite } from "./suites/tcp-suite.js";

init({ reactor: "inline" });
tcpSuite(() => init({ reactor: "inline" }), "inline");
