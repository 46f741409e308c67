/**
 * Worker entry for the scheduling test: reports its own policy, switches itself to SCHED_BATCH,
 * and reports its policy again and every thread's.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { setBatchScheduling } from "../../src/sys/index.js";
import { thisThread, threads } from "./proc-stat.js";

const before = thisThread().policy;
setBatchScheduling();
parentPort!.postMessage({ before, after: thisThread().policy, all: threads().map((t) => t.policy) });
