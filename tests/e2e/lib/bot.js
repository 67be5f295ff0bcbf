// Starts the bot under test as a real process with auth off and a throwaway SQLite database.
"use strict";
const fs = require("fs");
const path = require("path");
const config = require("./config");
const { startChild } = require("./children");
const { freePort, waitForHttp } = require("./net");

function exitReason(handle) {
  const c = handle.child;
  return handle.running ? null : `the bot process exited (${c.signalCode || "code " + c.exitCode}) before it was ready`;
}

async function startBot({ tempDir, logFile }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let command, cwd;
  if (config.botCommand) {
    command = ["/bin/sh", "-c", config.botCommand.replaceAll("{port}", String(port))];
    cwd = config.repoRoot;
  } else {
    if (!fs.existsSync(config.defaultBotDll)) {
      throw new Error(`${config.defaultBotDll} not found: build it first (dotnet build src/PorBot -c Release) or set PORBOT_E2E_BOT_CMD`);
    }
    command = ["dotnet", config.defaultBotDll];
    // The content root (appsettings*.json) is the working directory.
    cwd = path.dirname(config.defaultBotDll);
  }
  const env = {
    ...process.env,
    PORT: String(port),
    ASPNETCORE_URLS: url,
    ConnectionStrings__PorBot: `Data Source=${path.join(tempDir, "porbot.db")}`,
    // Empty app id = auth off: the playground sends activities without an Authorization header.
    MicrosoftAppId: "",
    MicrosoftAppPassword: "",
    // The alert test files its claim through the claims API, as a partner's CRM would.
    ...(config.alert ? { Claims__ApiKeys__0__Name: "e2e", Claims__ApiKeys__0__Key: config.alert.apiKey, Alerts__PollInterval: "00:00:00.250" } : {}),
    DOTNET_NOLOGO: "1",
    DOTNET_CLI_TELEMETRY_OPTOUT: "1",
  };
  fs.writeFileSync(logFile, `$ (cwd ${cwd}) ${command.join(" ")}\n`);
  const handle = startChild("bot", command, { cwd, env, logFile });
  await waitForHttp(`${url}${config.healthPath}`, {
    status: config.healthStatus, timeoutMs: config.botStartTimeoutMs, aborted: () => exitReason(handle),
  });
  return { handle, port, url, endpoint: `${url}/api/messages` };
}

module.exports = { startBot };
