import { init } from "reactor-executor";
import { httpSuite } from "./suites/http-suite.js";

init();
httpSuite(() => init(), "thread");
