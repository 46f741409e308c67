import { init } from "reactor-executor";
import { tcpSuite } from "./suites/tcp-suite.js";

init();
tcpSuite(() => init(), "thread");
