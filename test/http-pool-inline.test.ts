import { init } from "reactor-executor";
import { httpPoolSuite } from "./suites/http-pool-suite.js";

init({ reactor: "inline" });
httpPoolSuite(() => init({ reactor: "inline" }), "inline");
