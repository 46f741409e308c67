// The delay server (the real CLI) against real clients (issue 12): `curl`, Node's `http` client
// and Python's `http.client`, for what raw bytes cannot show: that a client accepts our answer to
// HEAD (no body, the connection reusable: Node's parser fails with HPE_INVALID_CONSTANT on a body
// it did not expect, curl warns), and that `Expect: 100-continue` gets its `100 Continue`, or the
// final refusal, without the client's wait. A tool that is not installed skips its tests, saying
// so (CI machines have curl and python3).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import http from "node:http";
import { startDelayServer, type DelayServerProcess } from "./util/delay-server.js";

/** The server's header timeout: a client waiting for a 100 that never comes is reset after it. */
const HEADER_TIMEOUT_MS = 8_000;
/** How long curl waits for a 100 before sending the body anyway (its default is 1 s). */
const CURL_EXPECT_WAIT_S = 6;
/** A bound well under both waits above: what an answer without them takes on a loaded machine. */
const PROMPT_MS = 3_000;

let server: DelayServerProcess;

before(async () => {
  server = await startDelayServer({ headerTimeoutMs: HEADER_TIMEOUT_MS });
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

const has = (tool: string): boolean => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const curlSkip = has("curl") ? false : "curl is not installed (apt-get install -y curl)";
const pythonSkip = has("python3") ? false : "python3 is not installed";

/** Runs `curl` with `args`; resolves with its exit code, stdout, stderr and wall time. */
function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile("curl", ["--silent", "--show-error", "--max-time", "20", ...args], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

test("curl -I (HEAD): 200 with the GET's Content-Length, no body, no warning, the connection reused", { skip: curlSkip }, async () => {
  const r = await curl(["--head", "--verbose", `${server.url}/0/hello`, `${server.url}/0/world!`]);
  assert.equal(r.code, 0, r.stderr);
  const heads = r.stdout.split("\r\n\r\n").filter((x) => x !== "");
  assert.equal(heads.length, 2, JSON.stringify(r.stdout));
  assert.match(heads[0]!, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(heads[0]!, /\r\nContent-Length: 5\r\n/i);
  assert.match(heads[1]!, /\r\nContent-Length: 6\r\n/i);
  // curl reports a body after a HEAD answer ("Excess found") and then cannot reuse the connection.
  assert.doesNotMatch(r.stderr, /excess|weird|left intact.*\n.*Closing|error/i);
  assert.match(r.stderr, /Re-using existing connection|Reusing existing/i);
});

test("curl with Expect: 100-continue and a body: 100 Continue, then the answer, without curl's wait", { skip: curlSkip }, async () => {
  const r = await curl([
    "--verbose",
    "--request",
    "GET",
    "--data-binary",
    "a body the delay server ignores",
    "--header",
    "Expect: 100-continue",
    "--expect100-timeout",
    String(CURL_EXPECT_WAIT_S),
    `${server.url}/0/continued`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "continued");
  assert.match(r.stderr, /< HTTP\/1\.1 100 Continue/);
  assert.ok(r.ms < PROMPT_MS, `took ${r.ms.toFixed(0)} ms (curl waits ${CURL_EXPECT_WAIT_S} s for a 100)`);
});

test(
  "curl POST with Expect: 100-continue: the refusal comes at once (405 with Allow; 413 for a body over the limit)",
  { skip: curlSkip },
  async () => {
    for (const [size, status] of [
      [1_000, /< HTTP\/1\.1 405 Method Not Allowed\r?\n[^]*< Allow: GET, HEAD/],
      [100_000, /< HTTP\/1\.1 413 Content Too Large/],
    ] as const) {
      const r = await curl([
        "--verbose",
        "--data-binary",
        "x".repeat(size),
        "--header",
        "Expect: 100-continue",
        "--expect100-timeout",
        String(CURL_EXPECT_WAIT_S),
        `${server.url}/0/x`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, status);
      assert.doesNotMatch(r.stderr, /< HTTP\/1\.1 100/);
      assert.ok(r.ms < PROMPT_MS, `${size} bytes: took ${r.ms.toFixed(0)} ms (curl waits ${CURL_EXPECT_WAIT_S} s for a 100)`);
    }
  },
);

/** One request with Node's client; resolves with the status, headers, body and whether the socket was reused. */
function nodeRequest(
  options: http.RequestOptions,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; reused: boolean; continued: boolean; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = http.request({ host: "127.0.0.1", port: server.port, ...options }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(parts).toString("utf8"),
          reused: req.reusedSocket,
          continued,
          ms: performance.now() - t0,
        }),
      );
      res.on("error", reject);
    });
    req.setTimeout(HEADER_TIMEOUT_MS * 2, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    if (body !== undefined && (options.headers as Record<string, string> | undefined)?.["Expect"] !== undefined) {
      req.on("continue", () => {
        continued = true;
        req.end(body);
      });
    } else req.end(body);
  });
}

test("Node's http client: HEAD, then GET on the same keep-alive connection", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const head = await nodeRequest({ method: "HEAD", path: "/0/hello", agent });
    assert.deepEqual([head.status, head.headers["content-length"], head.body], [200, "5", ""]);
    const refused = await nodeRequest({ method: "HEAD", path: "/soon/x", agent });
    assert.deepEqual([refused.status, refused.body, refused.reused], [400, "", true]);
    const get = await nodeRequest({ method: "GET", path: "/0/world", agent });
    assert.deepEqual([get.status, get.body, get.reused], [200, "world", true]);
    const post = await nodeRequest({ method: "POST", path: "/0/x", agent }, "data");
    assert.deepEqual([post.status, post.headers["allow"]], [405, "GET, HEAD"]);
  } finally {
    agent.destroy();
  }
});

test("Node's http client with Expect: 100-continue: 'continue', then the answer; a refusal comes at once", async () => {
  const ok = await nodeRequest(
    { method: "GET", path: "/0/after-continue", agent: false, headers: { Expect: "100-continue", "Content-Length": "4" } },
    "body",
  );
  assert.deepEqual([ok.status, ok.body, ok.continued], [200, "after-continue", true]);
  assert.ok(ok.ms < PROMPT_MS, `took ${ok.ms.toFixed(0)} ms`);
  const refused = await nodeRequest(
    { method: "PUT", path: "/0/x", agent: false, headers: { Expect: "100-continue", "Content-Length": "4" } },
    "body",
  );
  assert.deepEqual([refused.status, refused.continued, refused.headers["allow"]], [405, false, "GET, HEAD"]);
  assert.ok(refused.ms < PROMPT_MS, `took ${refused.ms.toFixed(0)} ms`);
});

const PYTHON_CLIENT = `
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
out = []
for method, path in [("HEAD", "/0/hello"), ("GET", "/0/world"), ("HEAD", "/5"), ("GET", "/0/again")]:
    conn.request(method, path)
    r = conn.getresponse()
    body = r.read().decode()
    out.append([method, r.status, r.getheader("Content-Length"), body])
print(json.dumps(out))
`;

test("Python's http.client: HEAD and GET alternating on one connection", { skip: pythonSkip }, () => {
  const r = spawnSync("python3", ["-c", PYTHON_CLIENT, String(server.port)], { encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const usage = "usage: GET /{delay_ms}/{message} (delay_ms: 0..3600000; the message is URL-encoded)\n";
  assert.deepEqual(JSON.parse(r.stdout), [
    ["HEAD", 200, "5", ""],
    ["GET", 200, "5", "world"],
    ["HEAD", 404, String(usage.length), ""],
    ["GET", 200, "5", "again"],
  ]);
});
