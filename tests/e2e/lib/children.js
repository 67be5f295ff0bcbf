// Child processes for the e2e run: each one in its own process group (so a shell wrapper and whatever it
// starts die together), output captured to a log file, and a registry so a
// failure, a timeout or SIGINT/SIGTERM can always stop everything that is still alive.
"use strict";
const fs = require("fs");
const { spawn } = require("child_process");
const { watchGroup, unwatchGroup } = require("./reaper");

const live = new Set();

function groupKill(child, signal) {
  try { process.kill(-child.pid, signal); return; } catch {}
  try { child.kill(signal); } catch {}
}

/**
 * Starts `command` (argv array) in a new process group. Output goes to `logFile`; `onLine` sees every
 * stdout/stderr line (used to detect "Listening on N").
 */
function startChild(name, command, { cwd, env, logFile, onLine } = {}) {
  const [file, ...args] = command;
  const log = fs.openSync(logFile, "a");
  const child = spawn(file, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let logOpen = true;
  const pending = { stdout: "", stderr: "" };
  const feed = (stream) => (chunk) => {
    const text = chunk.toString("utf8");
    if (logOpen) fs.writeSync(log, text); // output racing the shutdown is dropped, not an EBADF crash
    if (!onLine) return;
    pending[stream] += text;
    let nl;
    while ((nl = pending[stream].indexOf("\n")) >= 0) {
      const line = pending[stream].slice(0, nl).trimEnd();
      pending[stream] = pending[stream].slice(nl + 1);
      onLine(line);
    }
  };
  child.stdout.on("data", feed("stdout"));
  child.stderr.on("data", feed("stderr"));

  const exited = new Promise((resolve) => {
    child.once("error", (e) => {
      if (logOpen) fs.writeSync(log, `\n[spawn error] ${e.message}\n`);
      resolve({ code: null, signal: null, error: e });
    });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const handle = {
    name, child, logFile, exited,
    get pid() { return child.pid; },
    get running() { return child.exitCode === null && child.signalCode === null && child.pid !== undefined; },
    /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the leader has exited. */
    async stop(graceMs = 5000) {
      if (handle.running) {
        groupKill(child, "SIGTERM");
        const timer = setTimeout(() => groupKill(child, "SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // The leader may be gone while something it started still holds the group: make sure.
      groupKill(child, "SIGKILL");
      live.delete(handle);
      if (child.pid !== undefined) unwatchGroup(child.pid);
      await new Promise((r) => setTimeout(r, 50)); // let the last output reach the log
      logOpen = false;
      try { fs.closeSync(log); } catch {}
    },
  };
  live.add(handle);
  if (child.pid !== undefined) watchGroup(child.pid);
  return handle;
}

/**
 * Process groups led by direct children of this process that a library started itself (playwright runs
 * chromium in its own group): read from /proc so the reaper can cover them too.
 */
function childGroupsNamed(commPrefix) {
  const found = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === process.pid && comm.startsWith(commPrefix) && Number(pgrp) === Number(entry)) found.push(Number(entry));
    } catch {} // the process ended while we looked
  }
  return found;
}

async function stopAll(graceMs = 5000) {
  await Promise.all([...live].reverse().map((h) => h.stop(graceMs).catch(() => {})));
}

// Last resort when the process exits without running stopAll (uncaught error, process.exit): SIGKILL
// every group synchronously, the only thing an 'exit' listener can still do.
process.on("exit", () => { for (const h of live) groupKill(h.child, "SIGKILL"); });

module.exports = { startChild, stopAll, childGroupsNamed, watchGroup, unwatchGroup };
