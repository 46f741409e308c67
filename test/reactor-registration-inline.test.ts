import { init } from "../src/index.js";
import { registrationSuite } from "./suites/registration-suite.js";

init({ reactor: "inline" });
registrationSuite(() => init({ reactor: "inline" }));
