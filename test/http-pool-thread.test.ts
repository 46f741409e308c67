import { init } from "reactor-executor";
import { httpPoolSuite } from "./suites/http-pool-suite.js";

init();
httpPoolSuite(() => init(), "thread");
