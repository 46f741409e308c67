import { init } from "../src/index.js";
import { tlsSuite } from "./suites/tls-suite.js";

tlsSuite(init({ reactor: "inline" }), "inline");
