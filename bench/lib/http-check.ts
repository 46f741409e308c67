/**
 * Body checks shared by every HTTP client contender: a fast wrong client is worth nothing, so a
 * wrong status or body throws, the contender process exits non-zero and the harness fails the run.
 *
 * @module
 */

export class BodyMismatch extends Error {
  constructor(what: string, expected: string, got: string) {
    super(`${what}: expected body ${JSON.stringify(expected)}, got ${JSON.stringify(got.length > 300 ? got.slice(0, 300) + "..." : got)}`);
    this.name = "BodyMismatch";
  }
}

/** Checks a whole response read until close (status line, headers, body): 200 and the exact body. */
export function checkRawResponse(text: string, expected: string, what: string): void {
  if (!text.startsWith("HTTP/1.1 200 ") && !text.startsWith("HTTP/1.0 200 ")) {
    throw new BodyMismatch(`${what}: status is not 200`, expected, text);
  }
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new BodyMismatch(`${what}: no end of headers`, expected, text);
  const body = text.slice(end + 4);
  if (body !== expected) throw new BodyMismatch(what, expected, text);
}

/** Checks a parsed response. */
export function checkBody(status: number, body: string, expected: string, what: string): void {
  if (status !== 200) throw new BodyMismatch(`${what}: status ${status}`, expected, body);
  if (body !== expected) throw new BodyMismatch(what, expected, body);
}
