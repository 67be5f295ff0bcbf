"use strict";
const net = require("net");

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it; a small race is accepted). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `url` until it answers with `status` ("any" = any HTTP answer). Fails early when `aborted()`
 * returns a reason (e.g. the process under test exited).
 */
async function waitForHttp(url, { status = "200", timeoutMs, aborted = () => null }) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const why = aborted();
    if (why) throw new Error(`${url}: ${why}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer().catch(() => {});
      if (status === "any" || String(res.status) === String(status)) return res.status;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.cause ? e.cause.code || e.cause.message : e.message;
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer ${status === "any" ? "" : "HTTP " + status + " "}within ${timeoutMs / 1000} s (last: ${last})`);
}

module.exports = { freePort, waitForHttp, sleep };
