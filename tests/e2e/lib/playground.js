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

// The playground's own default tenant id ("…0000000000001") is not a GUID, so no partner could own it. The user
// chats from the tenant of a sample partner instead (PORBOT_E2E_TENANT_ID), which lets the alert test claim one of
// that partner's subscriptions for another partner and watch the conflict card arrive in this chat.
function configFile({ tenantId, userAadObjectId }) {
  return `version: "0.1.1"
tenantId: ${tenantId}
bot:
  id: 00000000-0000-0000-0000-00000000000011
  name: Test Bot
currentUser:
  id: user-id-0
  name: Alex Wilber
  userPrincipleName: alexw@example.com
  aadObjectId: ${userAadObjectId}
  givenName: Alex
  surname: Wilber
  email: alexw@example.com
users:
${["Megan Bowen", "Adele Vance", "Isaiah Langer", "Patti Fernandez", "Lynne Robbins"].map((name, i) => {
    const [given, surname] = name.split(" ");
    const mail = `${given.toLowerCase()}@example.com`;
    return `  - id: user-id-${i + 1}
    name: ${name}
    userPrincipleName: ${mail}
    aadObjectId: 3c2e6f10-5a4b-4c3d-8e2f-00000000002${i + 1}
    givenName: ${given}
    surname: ${surname}
    email: ${mail}
`;
  }).join("")}personalChat:
  id: ${CONVERSATION_ID}
groupChat:
  id: porbot-e2e-group
  name: Group Chat
team:
  id: porbot-e2e-team
  name: My Team
  aadGroupId: 3c2e6f10-5a4b-4c3d-8e2f-000000000031
  channels:
    - id: porbot-e2e-channel
      name: Announcements
`;
}

async function startPlayground({ endpoint, workDir, logFile, recordingFile, tenantId, userAadObjectId, timeoutMs = 30000 }) {
  const cli = require.resolve("@microsoft/m365agentsplayground/cli.js");
  fs.mkdirSync(workDir, { recursive: true });
  const configPath = path.join(workDir, ".m365agentsplayground.yml");
  fs.writeFileSync(configPath, configFile({ tenantId, userAadObjectId }));
  const appLog = path.join(path.dirname(logFile), "playground-app.log");
  const env = {
    ...process.env,
    TEAMSAPPTESTER_BROWSER: "none",
    M365_AGENTS_PLAYGROUND_RECORDING_FILE: recordingFile,
    M365_AGENTS_PLAYGROUND_LOGFILE: appLog,
    M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
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
