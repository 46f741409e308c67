import { init } from "reactor-executor";
import { httpSuite } from "./suites/http-suite.js";

init({ reactor: "inline" });
httpSuite(() => init({ reactor: "inline" }), "inline");
