// Last line of defence against orphans when the test process is killed outright (SIGKILL, OOM killer),
// which no handler inside it can catch. This script runs as a separate, detached process; the test
// process tells it over stdin which process groups are alive ("+PGID" / "-PGID"). When stdin closes -
// the test process ended, however it ended - every group still listed gets SIGTERM, then SIGKILL.
"use strict";

if (require.main === module) {
  const groups = new Set();
  let buf = "";
  process.stdin.on("data", (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const m = /^([+-])(\d+)$/.exec(buf.slice(0, nl).trim());
      buf = buf.slice(nl + 1);
      if (m) (m[1] === "+" ? groups.add(Number(m[2])) : groups.delete(Number(m[2])));
    }
  });
  process.stdin.on("close", () => {
    if (groups.size === 0) process.exit(0);
    const signal = (sig) => { for (const g of groups) { try { process.kill(-g, sig); } catch {} } };
    signal("SIGTERM");
    setTimeout(() => { signal("SIGKILL"); process.exit(0); }, 3000);
  });
  // Detached from the terminal's process group already; a stray group signal must not stop the watch.
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
} else {
  const { spawn } = require("child_process");
  let reaper = null;
  const send = (line) => {
    if (!reaper) {
      reaper = spawn(process.execPath, [__filename], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
      reaper.unref();
      reaper.stdin.on("error", () => {});
      // The open pipe must not keep the test process alive; it closes when this process exits.
      reaper.stdin.unref();
    }
    reaper.stdin.write(line + "\n");
  };
  module.exports = {
    watchGroup: (pgid) => send(`+${pgid}`),
    unwatchGroup: (pgid) => send(`-${pgid}`),
  };
}
