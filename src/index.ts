/**
 * reactor-executor: the reactor-executor pattern of Rust's async world (chapter 8 of *Asynchronous
 * Programming in Rust*) for TypeScript on Node.js. Everything public is exported from here.
 *
 * @module
 */
export { PENDING, describeFuture, type Pending, type Poll, type Future, type Output } from "./future/future.js";
export { ready } from "./future/ready.js";
export { map } from "./future/map.js";
export { joinAll, join, type Outputs } from "./future/join-all.js";
export { select, race, type Selected, type SelectedOf } from "./future/select.js";
export { coroutine, wait, type CoroutineBody, type Wait } from "./future/coroutine.js";
export { yieldNow } from "./future/yield-now.js";
export { fromPromise, toPromise } from "./runtime/promise.js";
export { Waker, NoopWaker } from "./future/waker.js";
export { Executor, spawn, exportWaker, releaseWaker, type ExecutorOptions, type SpawnOptions } from "./runtime/executor.js";
export type { JoinHandle } from "./runtime/task.js";
export { formatDump, type ExecutorDump, type TaskDump } from "./runtime/dump.js";
export type { ExecutorMetrics, ReactorMetrics } from "./runtime/metrics.js";
export { dumpOnSignal } from "./runtime/dump-signal.js";
export { VirtualClock, type Clock } from "./runtime/clock.js";
export { wakeRef } from "./runtime/wake-hub.js";
export { init, reactor, type InitOptions } from "./runtime/init.js";
export { flushTrace } from "./runtime/trace-session.js";
export { Reactor, Interest, type Source } from "./runtime/reactor.js";
export { spawnThread, type ThreadHandle, type ThreadOptions } from "./runtime/threads.js";
export type { ThreadTransferable } from "./runtime/thread-transfer.js";
export { ThreadError, type ThreadErrorCode } from "./runtime/thread-outcome.js";
export { sleep } from "./time/sleep.js";
export { timeout } from "./time/timeout.js";
export { interval, Interval, type IntervalOptions, type MissedTickBehavior } from "./time/interval.js";
export { Semaphore, SemaphorePermit } from "./sync/semaphore.js";
export { Mutex, MutexGuard } from "./sync/mutex.js";
export { Notify } from "./sync/notify.js";
export { channel, type Sender, type Receiver } from "./sync/channel.js";
export { threadChannel, type ThreadSender, type ThreadReceiver, type ThreadChannelOptions } from "./sync/thread-channel.js";
export { oneshot, OneshotSender, OneshotReceiver } from "./sync/oneshot.js";
export { watch, WatchSender, WatchReceiver } from "./sync/watch.js";
export { JoinSet, type AbortHandle } from "./sync/join-set.js";
export { scope, Scope } from "./sync/scope.js";
export { mapConcurrent } from "./sync/map-concurrent.js";
export { fromAbortSignal, abortable } from "./sync/abort.js";
export { ClosedError } from "./sync/closed-error.js";
export { TcpStream, type ConnectFuture } from "./net/tcp-stream.js";
export type { ByteStream } from "./net/byte-stream.js";
export { TcpListener } from "./net/tcp-listener.js";
export { TlsStream } from "./tls/tls-stream.js";
export type { TlsConnectOptions } from "./tls/options.js";
export { TlsSessionCache } from "./tls/session-cache.js";
export { lookup, type LookupAddress, type LookupOptions } from "./net/dns/lookup.js";
export { Http, type HttpGetOptions, type HttpRequestOptions } from "./http/http.js";
export { HttpClient, connectDirect, type HttpClientOptions } from "./http/client.js";
export type { Connector, HttpOrigin, PoolStats } from "./http/pool.js";
export { HttpStreamResponse } from "./http/stream-response.js";
export type { HttpResponse } from "./http/parse-response.js";
export { IoError, TimeoutError, CancelledError, HttpParseError, DeadlockError, RuntimeError, TlsError, DnsError } from "./errors.js";
