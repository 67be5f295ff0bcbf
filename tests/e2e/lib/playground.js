// Starts the Microsoft 365 Agents Playground (from this folder's node_modules) headless: no browser,
// telemetry off, events recording on, from a fresh working dir so no stray .m365agentsplayground.yml
// is picked up. It listens on ALL interfaces and silently moves to a random port when the requested one
// is busy, so the real port is read from its "Listening on N" line.
"use strict";
const fs = require("fs");
const path = require("path");
const { startChild } = require("./children");
const { freePort } = require("./net");

const CONVERSATION_ID = "porbot-e2e-conv";

async function startPlayground({ endpoint, workDir, logFile, recordingFile, timeoutMs = 30000 }) {
  const cli = require.resolve("@microsoft/m365agentsplayground/cli.js");
  fs.mkdirSync(workDir, { recursive: true });
  const appLog = path.join(path.dirname(logFile), "playground-app.log");
  const env = {
    ...process.env,
    TEAMSAPPTESTER_BROWSER: "none",
    M365_AGENTS_PLAYGROUND_RECORDING_FILE: recordingFile,
    M365_AGENTS_PLAYGROUND_LOGFILE: appLog,
  };
  delete env.TEAMSAPPTESTER_PORT;
  const wanted = await freePort();
  let resolveListening;
  const listening = new Promise((r) => { resolveListening = r; });
  const command = [process.execPath, cli, "--disable-telemetry", "--enable-events-recording",
    "--conversation-id", CONVERSATION_ID, "-e", endpoint, "-p", String(wanted)];
  fs.writeFileSync(logFile, `$ (cwd ${workDir}) ${command.join(" ")}\n`);
  const handle = startChild("playground", command, {
    cwd: workDir, env, logFile,
    onLine: (line) => { const m = /^Listening on (\d+)$/.exec(line); if (m) resolveListening(Number(m[1])); },
  });
  let timer;
  const port = await Promise.race([
    listening,
    handle.exited.then(({ code, signal }) => { throw new Error(`the playground exited (${signal || "code " + code}) before it listened`); }),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the playground did not listen within ${timeoutMs / 1000} s`)), timeoutMs); }),
  ]).finally(() => clearTimeout(timer));
  return { handle, port, url: `http://127.0.0.1:${port}/`, appLog, recordingFile, conversationId: CONVERSATION_ID };
}

module.exports = { startPlayground };
