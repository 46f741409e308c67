/**
 * Observability without dependencies: `node:diagnostics_channel` channels, as undici does. Nothing
 * is published (and nothing allocated) unless someone subscribes.
 *
 * | channel                              | message                                                         |
 * | ------------------------------------ | --------------------------------------------------------------- |
 * | `reactor-executor:task:spawn`        | `{ executor, id, name }`                                        |
 * | `reactor-executor:task:finish`       | `{ executor, id, name, outcome: "ok" \| "error" \| "cancelled", error? }` |
 * | `reactor-executor:executor:park`     | `{ executor, pending, timeoutMs }`                              |
 *
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("reactor-executor:task:finish", (m) => console.error(m));
 * ```
 *
 * @module
 */
import diagnostics_channel from "node:diagnostics_channel";

export const taskSpawn = diagnostics_channel.channel("reactor-executor:task:spawn");
export const taskFinish = diagnostics_channel.channel("reactor-executor:task:finish");
export const executorPark = diagnostics_channel.channel("reactor-executor:executor:park");
