/**
 * The HTTP client's diagnostics channel messages, `reactor-executor:http:request:start` and
 * `:end` (the channel table is in `runtime/trace.ts`). A request publishes its start at its first
 * poll and its end once: done, failed, or dropped unfinished. Both messages carry the same
 * `request` object, so a subscriber can pair them (a `WeakMap` keyed by it). Nothing is built
 * unless someone subscribes.
 *
 * @module
 */
import { httpRequestEnd, httpRequestStart } from "../runtime/trace.js";
import type { HttpTarget } from "./target.js";

/** The `request` of both messages. */
export interface HttpRequestEvent {
  readonly method: string;
  /** `{scheme}://{address}{path}`, as the request went out. */
  readonly url: string;
}

const SPACE = 0x20;
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})/;

/**
 * Publishes the start of the request serialized in `bytes`, going to `target`; returns the object
 * its end names, or null when nobody listens.
 */
export function publishRequestStart(bytes: Uint8Array, target: HttpTarget): HttpRequestEvent | null {
  if (!httpRequestStart.hasSubscribers && !httpRequestEnd.hasSubscribers) return null;
  const method = Buffer.from(bytes.buffer, bytes.byteOffset, Math.max(bytes.indexOf(SPACE), 0)).toString("latin1");
  const request: HttpRequestEvent = { method, url: `${target.scheme}://${target.address}${target.path}` };
  httpRequestStart.publish({ request });
  return request;
}

/** Publishes that `request` completed with `output` (a response, or `Http.get`'s text). */
export function publishRequestDone(request: HttpRequestEvent, output: unknown): void {
  let status: number | undefined;
  if (typeof output === "string") {
    const m = STATUS_LINE.exec(output);
    if (m !== null) status = Number(m[1]);
  } else if (typeof (output as { status?: unknown } | null)?.status === "number") {
    status = (output as { status: number }).status;
  }
  httpRequestEnd.publish(status === undefined ? { request, outcome: "ok" } : { request, outcome: "ok", status });
}

/** Publishes that `request` failed with `error`. */
export function publishRequestFailed(request: HttpRequestEvent, error: unknown): void {
  httpRequestEnd.publish({ request, outcome: "error", error });
}

/** Publishes that `request` was dropped before it finished (a `timeout`, a `select` loser, an abort). */
export function publishRequestDropped(request: HttpRequestEvent): void {
  httpRequestEnd.publish({ request, outcome: "dropped" });
}
