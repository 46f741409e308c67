// The delay server's suites (contract, connections, errors, pipelining) once more, each case a
// test of this file, with every server they start running the inline reactor (`--reactor
// inline`): the executor then waits in epoll_wait itself under run(), a different wait path from
// the reactor thread's. The suite files start their servers in `before` hooks, which read the
// mode from DELAYSERVER_TEST_REACTOR (see test/util/delay-server.ts); importing them registers
// their tests here.
process.env["DELAYSERVER_TEST_REACTOR"] = "inline";
await import("./delayserver-basic.test.js");
await import("./delayserver-connections.test.js");
await import("./delayserver-errors.test.js");
await import("./delayserver-pipelining.test.js");
