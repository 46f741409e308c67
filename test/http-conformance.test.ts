// Conformance: llhttp's markdown test corpus (nodejs/llhttp test/request/*.md and
// test/response/*.md, MIT; extracted by test/fixtures/llhttp/extract.mjs into corpus.json, with the
// source commit recorded there) run against RequestParser and ResponseParser, each input fed whole
// and byte by byte.
//
// What is compared, per case: the complete messages (method, target, version, status and reason,
// header fields, response trailers, body) and how the input ends (clean, incomplete, or an error).
// Expectations are llhttp's strict ones: a case of a lenient type (`request-lenient-*`) shows what
// a lenient flag lets through, so strict parsing must refuse it. Where the corpus tests a
// connection-level behaviour (data after `Connection: close`, CONNECT and Upgrade, which llhttp
// pauses on), only the messages before that point are compared. Responses are given an end of
// stream after the input (llhttp's runner has none), so a read-until-close body completes there.
//
// Every disagreement left is listed in KNOWN below with its reason; the test fails on a
// disagreement not listed (a regression) and on a listed one that now agrees (a stale list), and
// prints the agreement rate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { HttpParseError } from "../src/errors.js";
import type { HttpHeaders } from "../src/http/parse-headers.js";
import { HttpRequestError, RequestParser } from "../src/http/parse-request.js";
import { ResponseParser, plainResponseEnd, type HttpResponse } from "../src/http/parse-response.js";

interface ExpectedMessage {
  method: string;
  url: string;
  version: string;
  status: number;
  statusText: string;
  headers: [string, string][];
  trailers: [string, string][];
  body: string;
  started: boolean;
  complete: boolean;
}

interface Case {
  id: string;
  name: string;
  meta: { type: string; skipBody?: boolean };
  input: string;
  expect: {
    messages: ExpectedMessage[];
    end: { kind: "clean" | "incomplete" | "error" | "upgrade" | "finish"; code?: number; reason?: string; finish?: number };
  };
}

interface Corpus {
  source: { repository: string; commit: string };
  cases: Case[];
}

/** A message as compared: field values trimmed (llhttp leaves trailing whitespace to the application). */
interface Message {
  method?: string;
  url?: string;
  version?: string;
  status?: number;
  statusText?: string;
  headers: Record<string, string[]>;
  trailers?: Record<string, string[]>;
  body: string;
}

interface Outcome {
  messages: Message[];
  end: "clean" | "incomplete" | "error";
  /** The error's status (requests) and message: the message may differ with where it was noticed. */
  error?: string;
  status?: number;
}

/**
 * The disagreements left, each with its reason. Strictness we chose (RFC 9112 where llhttp is
 * more lenient by default, or where we refuse what a server must refuse), and features we do not
 * have.
 */
const LATE = "checked when the head is complete, not at the field (llhttp checks byte by byte): still refused, just later";
const ANY_METHOD = "any token is a method (RFC 9110 §9.1); llhttp knows a fixed list (the delay server answers 405)";
const HTTP_ONLY = "HTTP/1.x only: llhttp also parses RTSP, ICE and HTTP/0.9";
const BARE_LF_RESPONSE =
  "a response line may end with a bare LF (RFC 9112 §2.2 lets a recipient accept it; curl and browsers do; llhttp and Node refuse)";
const KNOWN: Record<string, string> = {
  "request/content-length.md:77": LATE,
  "request/content-length.md:102": LATE,
  "request/invalid.md:492": `${LATE} (the request line at its CRLF)`,
  "request/invalid.md:68": ANY_METHOD,
  "request/invalid.md:358": ANY_METHOD,
  "request/method.md:374": HTTP_ONLY,
  "request/method.md:404": HTTP_ONLY,
  "request/method.md:432": HTTP_ONLY,
  "request/sample.md:316": HTTP_ONLY,
  "response/sample.md:42": HTTP_ONLY,
  "response/sample.md:62": HTTP_ONLY,
  "response/sample.md:647": HTTP_ONLY,
  "request/method.md:98":
    "CONNECT with Content-Length: the body is framed by it (RFC 9112 §6.3); llhttp stops at the head to tunnel (no tunnels here: the delay server answers 405)",
  "request/transfer-encoding.md:753":
    "a coding before chunked in a request is a 501 (RFC 9112 §6.1: a server answers 501 to a coding it does not know)",
  "request/transfer-encoding.md:795":
    "a coding before chunked in a request is a 501 (RFC 9112 §6.1: a server answers 501 to a coding it does not know)",
  "request/uri.md:150":
    "raw UTF-8 (obs-text) in a request target is accepted: the delay server's documented contract reads it as the message; it cannot split a request line",
  "response/invalid.md:214": `${LATE} (a response's first field line)`,
  "response/invalid.md:289": BARE_LF_RESPONSE,
  "response/invalid.md:306": BARE_LF_RESPONSE,
  "response/invalid.md:329": BARE_LF_RESPONSE,
  "response/invalid.md:350": BARE_LF_RESPONSE,
  "response/sample.md:332": BARE_LF_RESPONSE,
  "response/sample.md:353": BARE_LF_RESPONSE,
  "response/transfer-encoding.md:391":
    "obs-fold in a response is unfolded, as RFC 9112 §5.2 requires of a user agent: `chunked abc` is then not chunked, and the body reads until close",
};

const corpus = JSON.parse(readFileSync(new URL("../../test/fixtures/llhttp/corpus.json", import.meta.url), "latin1")) as Corpus;

const trim = (s: string): string => s.replace(/^[\t ]+|[\t ]+$/g, "");

function fieldMap(fields: [string, string][]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of fields) (out[name.toLowerCase()] ??= []).push(trim(value));
  return out;
}

function ourFields(headers: HttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name] of headers.entries()) out[name] = headers.getAll(name).map(trim);
  return out;
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** The pieces `input` is fed in: whole, or one byte at a time. */
function pieces(input: Buffer, byByte: boolean): Buffer[] {
  if (!byByte) return [input];
  return Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1));
}

function runRequests(input: Buffer, byByte: boolean, requireHost = false): Outcome {
  const parser = new RequestParser({ requireHost });
  const messages: Message[] = [];
  try {
    for (const piece of pieces(input, byByte)) {
      parser.push(piece);
      for (let r = parser.next(); r !== undefined; r = parser.next()) {
        messages.push({ method: r.method, url: r.target, version: r.version, headers: ourFields(r.headers), body: latin1(r.body) });
      }
    }
  } catch (e) {
    if (!(e instanceof HttpRequestError)) throw e;
    return { messages, end: "error", status: e.status, error: e.message };
  }
  return { messages, end: parser.partial ? "incomplete" : "clean" };
}

function responseMessage(r: HttpResponse): Message {
  return {
    status: r.status,
    statusText: r.statusText,
    headers: ourFields(r.headers),
    trailers: ourFields(r.trailers),
    body: latin1(r.body),
  };
}

/** Responses one after the other (a parser per response), then an end of stream. */
function runResponses(input: Buffer, byByte: boolean): Outcome {
  const messages: Message[] = [];
  let parser = new ResponseParser();
  /** Whether the current parser has been given anything but line ends. */
  let started = false;
  try {
    for (let piece of pieces(input, byByte)) {
      while (piece.length > 0) {
        if (!/^[\r\n]*$/.test(piece.toString("latin1"))) started = true;
        const r = parser.push(piece);
        if (r === undefined) break;
        messages.push(responseMessage(r));
        piece = piece.subarray(piece.length - parser.unusedBytes);
        parser = new ResponseParser();
        started = false;
      }
    }
    if (!started) return { messages, end: "clean" };
    try {
      messages.push(responseMessage(parser.end()));
      return { messages, end: "clean" };
    } catch (e) {
      if (!(e instanceof HttpParseError) || !/^connection closed/.test(e.message)) throw e;
      return { messages, end: "incomplete" };
    }
  } catch (e) {
    if (!(e instanceof HttpParseError)) throw e;
    return { messages, end: "error", error: e.message };
  }
}

/** What our client returns of llhttp's messages: interim (1xx but 101) responses are skipped by design. */
function finalMessages(messages: ExpectedMessage[], response: boolean): ExpectedMessage[] {
  return response ? messages.filter((m) => !m.started || m.status < 100 || m.status > 199 || m.status === 101) : messages;
}

function expectedMessage(m: ExpectedMessage, response: boolean): Message {
  return response
    ? { status: m.status, statusText: m.statusText, headers: fieldMap(m.headers), trailers: fieldMap(m.trailers), body: m.body }
    : { method: m.method, url: m.url, version: m.version, headers: fieldMap(m.headers), body: m.body };
}

/** How a case is judged. */
type Verdict = { agree: true; category: string } | { agree: false; category: string; why: string };

function judge(c: Case, ours: Outcome): Verdict {
  const type = c.meta.type;
  const response = type.startsWith("response");
  const expected = finalMessages(c.expect.messages, response);
  const end = c.expect.end;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const show = (o: Outcome): string => `${o.end}${o.error === undefined ? "" : ` (${o.error})`} after ${JSON.stringify(o.messages)}`;
  if (type.includes("lenient-keep-alive") || type.includes("lenient-data-after-close") || (!type.includes("lenient") && end.code === 5)) {
    // Data after a message that closes the connection: a connection's concern (the delay server
    // stops reading after such a request). The messages before that point must match.
    const heads = expected.filter((m) => m.started).map((m) => ({ ...expectedMessage(m, response), body: undefined }));
    const ourHeads = ours.messages.map((m) => ({ ...m, body: undefined }));
    const k = Math.min(heads.length, ourHeads.length);
    return k >= expected.filter((m) => m.complete).length && k > 0 && same(heads.slice(0, k), ourHeads.slice(0, k))
      ? { agree: true, category: "data after close (connection policy)" }
      : {
          agree: false,
          category: "data after close (connection policy)",
          why: `expected heads ${JSON.stringify(heads)}, got ${show(ours)}`,
        };
  }
  if (type.includes("lenient")) {
    // What a lenient flag lets through: strict parsing refuses it.
    return ours.end === "error"
      ? { agree: true, category: "lenient input refused" }
      : { agree: false, category: "lenient input refused", why: `expected an error, got ${show(ours)}` };
  }
  const complete = expected.filter((m) => m.complete).map((m) => expectedMessage(m, response));
  if (end.kind === "upgrade") {
    // CONNECT or Upgrade: llhttp pauses there; we have no upgrades, so what follows is parsed as
    // HTTP (and refused by the server). The messages up to the upgrade must match.
    return same(ours.messages.slice(0, complete.length), complete)
      ? { agree: true, category: "upgrade (compared up to it)" }
      : { agree: false, category: "upgrade (compared up to it)", why: `expected ${JSON.stringify(complete)}, got ${show(ours)}` };
  }
  if (end.kind === "finish") {
    // 0: safe to end here; 1: safe, the end of stream completing the message; 2: unsafe.
    const wanted = end.finish === 2 ? "incomplete" : "clean";
    const last = expected.at(-1);
    const atEof =
      end.finish === 1 && last !== undefined && last.started && !last.complete ? [...complete, expectedMessage(last, response)] : complete;
    return ours.end === wanted && same(ours.messages, atEof)
      ? { agree: true, category: "finish" }
      : { agree: false, category: "finish", why: `expected ${wanted} after ${JSON.stringify(complete)}, got ${show(ours)}` };
  }
  if (end.kind === "error") {
    return ours.end === "error" && same(ours.messages, complete)
      ? { agree: true, category: "refused" }
      : {
          agree: false,
          category: "refused",
          why: `expected an error (${end.reason}) after ${JSON.stringify(complete)}, got ${show(ours)}`,
        };
  }
  if (end.kind === "incomplete" && response) {
    // No end of stream in llhttp's run: a started response whose body reads until close is
    // complete at ours.
    const last = expected.at(-1);
    if (last !== undefined && last.started && !last.complete && ours.end === "clean") {
      const atEof = [...complete, expectedMessage(last, true)];
      if (same(ours.messages, atEof)) return { agree: true, category: "accepted" };
    }
  }
  return ours.end === end.kind && same(ours.messages, complete)
    ? { agree: true, category: "accepted" }
    : { agree: false, category: "accepted", why: `expected ${end.kind} after ${JSON.stringify(complete)}, got ${show(ours)}` };
}

const withoutError = (o: Outcome): Omit<Outcome, "error"> => ({
  messages: o.messages,
  end: o.end,
  ...(o.status === undefined ? {} : { status: o.status }),
});

test(`llhttp's corpus: agreement rate, fed whole and byte by byte (${corpus.cases.length} cases)`, (t) => {
  const rows: { c: Case; verdict: Verdict }[] = [];
  const notApplicable: string[] = [];
  const noHost: string[] = [];
  for (const c of corpus.cases) {
    if (c.meta.skipBody === true) {
      // llhttp's on_headers_complete returning "skip body": an API of llhttp's, nothing to compare.
      notApplicable.push(c.id);
      continue;
    }
    const input = Buffer.from(c.input, "latin1");
    const response = c.meta.type.startsWith("response");
    const run = response ? runResponses : runRequests;
    const whole = run(input, false);
    const byByte = run(input, true);
    // The same messages and the same end, however the bytes arrive (an error may be noticed
    // sooner byte by byte, with its own message).
    assert.deepEqual(withoutError(byByte), withoutError(whole), `${c.id} (${c.name}): fed byte by byte, the outcome differs`);
    rows.push({ c, verdict: judge(c, whole) });
    if (!response) {
      // With the server's default, an HTTP/1.1 request without Host is refused (RFC 9112 §3.2):
      // that must be the only difference.
      const server = runRequests(input, false, true);
      if (!isDeepStrictEqual(server, whole)) {
        assert.match(server.error ?? "", /^missing Host field/, `${c.id}: requireHost changed more than the Host check`);
        noHost.push(c.id);
      }
    }
  }
  const agreed = rows.filter((r) => r.verdict.agree).length;
  const byCategory = new Map<string, [number, number]>();
  for (const { verdict } of rows) {
    const counts = byCategory.get(verdict.category) ?? [0, 0];
    counts[verdict.agree ? 0 : 1]++;
    byCategory.set(verdict.category, counts);
  }
  const lines = [
    `llhttp ${corpus.source.commit.slice(0, 12)}: ${agreed}/${rows.length} cases agree (${((100 * agreed) / rows.length).toFixed(1)}%), ` +
      `${notApplicable.length} not applicable (skipBody)`,
    ...[...byCategory].map(([category, [yes, no]]) => `  ${category}: ${yes} agree, ${no} disagree`),
    `  with the server's default (requireHost), ${noHost.length} of the request cases are refused for want of a Host field (RFC 9112 §3.2)`,
  ];
  const unexpected: string[] = [];
  for (const { c, verdict } of rows) {
    if (verdict.agree) {
      if (KNOWN[c.id] !== undefined) unexpected.push(`${c.id} (${c.name}) is listed in KNOWN but agrees now`);
      continue;
    }
    const reason = KNOWN[c.id];
    lines.push(`  disagree ${c.id} (${c.name}): ${reason ?? `UNEXPECTED: ${verdict.why}`}`);
    if (reason === undefined) unexpected.push(`${c.id} (${c.name}): ${verdict.why}`);
  }
  for (const line of lines) t.diagnostic(line);
  assert.deepEqual(unexpected, [], lines.join("\n"));
});

test("plainResponseEnd finds the end ResponseParser finds, or leaves the response to it: corpus cases and one-byte changes of their heads", (t) => {
  const limit = 1 << 20;
  let plain = 0;
  let checked = 0;
  const check = (input: Buffer, what: string): void => {
    checked++;
    const end = plainResponseEnd(input, limit);
    if (end < 0) return;
    plain++;
    // What Http.get's parser would make of the same read.
    const parser = new ResponseParser({ maxBodyBytes: limit, discardBody: true, keepHeaders: false });
    let r: HttpResponse | undefined;
    try {
      r = parser.push(input);
    } catch (e) {
      assert.fail(`${what}: plainResponseEnd found ${end}, the parser refused it: ${(e as Error).message}`);
    }
    assert.notEqual(r, undefined, `${what}: plainResponseEnd found ${end}, the parser wants more bytes`);
    assert.equal(input.length - parser.unusedBytes, end, `${what}: a different end`);
  };
  const changes = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x2c, 0x30, 0x3a, 0x41, 0x7f, 0xe9];
  for (const c of corpus.cases) {
    if (!c.meta.type.startsWith("response")) continue;
    const input = Buffer.from(c.input, "latin1");
    check(input, c.id);
    const head = input.indexOf("\r\n\r\n");
    for (let i = 0; i < (head < 0 ? input.length : head + 4); i++) {
      for (const b of changes) {
        if (input[i] === b) continue;
        const changed = Buffer.from(input);
        changed[i] = b;
        check(changed, `${c.id}, byte ${i} made 0x${b.toString(16)}`);
      }
    }
  }
  // Each rule of the fast path, next to what the parser does with the same bytes.
  const heads = [
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello",
    "\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.0 200 OK\nCONTENT-LENGTH:\t5 \ncoNNection: close\n\nhello",
    "HTTP/1.1 200\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
  ];
  for (const h of heads) check(Buffer.from(h, "latin1"), JSON.stringify(h));
  for (const extra of ["", "HTTP/1.1 200 OK\r\n", "garbage"]) {
    check(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello${extra}`), `a body followed by "${extra}"`);
  }
  t.diagnostic(`plainResponseEnd took ${plain} of ${checked} inputs; the parser found the same end for each`);
  // The fast path must be taken often enough for the comparison to mean something.
  assert.ok(plain >= 1000, `plainResponseEnd took ${plain} of ${checked} inputs`);
});
