/**
 * Observability without dependencies: `node:diagnostics_channel` channels, as undici does. Nothing
 * is published (and nothing allocated) unless someone subscribes.
 *
 * Channels are per thread: `diagnostics_channel` is, so a subscriber sees what happens on its own
 * thread only. A thread started with `spawnThread` subscribes in its own module to see its tasks.
 *
 * | channel                                  | message                                                         |
 * | ---------------------------------------- | --------------------------------------------------------------- |
 * | `reactor-executor:task:spawn`            | `{ executor, id, name }`                                        |
 * | `reactor-executor:task:finish`           | `{ executor, id, name, outcome: "ok" \| "error" \| "cancelled", error? }` |
 * | `reactor-executor:executor:park`         | `{ executor, pending, timeoutMs }`                              |
 * | `reactor-executor:executor:deadlock`     | `{ executor, dump }`: the task dump (`executor.dump()`) of a run that gives up |
 * | `reactor-executor:http:request:start`    | `{ request: { method, url } }`: a client request starts (its first poll) |
 * | `reactor-executor:http:request:end`      | `{ request, outcome: "ok" \| "error" \| "dropped", status?, error? }`: the same `request` object |
 *
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("reactor-executor:task:finish", (m) => console.error(m));
 * const started = new WeakMap<object, number>();
 * diagnostics_channel.subscribe("reactor-executor:http:request:start", (m) => {
 *   started.set((m as { request: object }).request, performance.now());
 * });
 * ```
 *
 * @module
 */
import diagnostics_channel from "node:diagnostics_channel";

export const taskSpawn = diagnostics_channel.channel("reactor-executor:task:spawn");
export const taskFinish = diagnostics_channel.channel("reactor-executor:task:finish");
export const executorPark = diagnostics_channel.channel("reactor-executor:executor:park");
export const executorDeadlock = diagnostics_channel.channel("reactor-executor:executor:deadlock");
export const httpRequestStart = diagnostics_channel.channel("reactor-executor:http:request:start");
export const httpRequestEnd = diagnostics_channel.channel("reactor-executor:http:request:end");
