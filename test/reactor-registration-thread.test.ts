import { init } from "../src/index.js";
import { registrationSuite } from "./suites/registration-suite.js";

init();
registrationSuite(() => init());
