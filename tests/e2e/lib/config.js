// Settings of the e2e run, all overridable from the environment (see README.md).
"use strict";
const path = require("path");

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const e2eDir = path.resolve(__dirname, "..");

/**
 * "/source/flags" or a bare source; several patterns as a JSON array of such strings.
 * All patterns of a list must match the SAME bot message.
 */
function parsePatterns(name, fallback) {
  const raw = process.env[name];
  const items = raw === undefined || raw === "" ? fallback : raw.trim().startsWith("[") ? JSON.parse(raw) : [raw];
  return items.map((item) => {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(item);
    try { return m ? new RegExp(m[1], m[2]) : new RegExp(item); }
    catch (e) { throw new Error(`${name}: bad regex ${JSON.stringify(item)}: ${e.message}`); }
  });
}

function seconds(name, fallback) {
  const v = Number(process.env[name] || fallback);
  if (!(v > 0)) throw new Error(`${name} must be a positive number of seconds`);
  return v * 1000;
}

const defaultBotDll = path.join(repoRoot, "src", "PorBot", "bin", "Release", "net10.0", "PorBot.dll");

module.exports = {
  repoRoot,
  e2eDir,
  outputDir: path.join(e2eDir, "test-output"),
  chromium: process.env.PORBOT_E2E_CHROMIUM || process.env.PORBOT_CHROMIUM || "/usr/bin/chromium",
  // A shell command; "{port}" is replaced by the bot's port (also in $PORT and ASPNETCORE_URLS).
  botCommand: process.env.PORBOT_E2E_BOT_CMD || null,
  defaultBotDll,
  healthPath: process.env.PORBOT_E2E_HEALTH_PATH || "/healthz",
  // "any": any HTTP answer proves the bot listens (for bots without a health endpoint, like the peer bot).
  healthStatus: process.env.PORBOT_E2E_HEALTH_STATUS || "200",
  welcomeExpect: parsePatterns("PORBOT_E2E_EXPECT_WELCOME", ["/PorBot/", "/Partner of Record/i"]),
  helpSay: process.env.PORBOT_E2E_HELP_TEXT || "help",
  helpExpect: parsePatterns("PORBOT_E2E_EXPECT_HELP", ["/Partner of Record/i"]),
  // Further turns as [name, text to send, patterns the answer must match]; PORBOT_E2E_CONVERSATION=[] skips them
  // (e.g. against the peer bot).
  conversation: process.env.PORBOT_E2E_CONVERSATION
    ? JSON.parse(process.env.PORBOT_E2E_CONVERSATION).map(([n, say, pats]) => [n, say, pats.map((p) => new RegExp(p, "i"))])
    : [
      ["guidance", "can two partners be POR for the same azure subscription?", [/only one Partner of Record/i]],
      ["partner-id", "mpn 4412345", [/Partner ID 4412345/, /format/i]],
    ],
  // The user's tenant: Contoso Cloud Partners (4412345) in the sample data, POR of Adventure Works' Azure subscription.
  tenantId: process.env.PORBOT_E2E_TENANT_ID || "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01",
  userAadObjectId: process.env.PORBOT_E2E_USER_AAD_ID || "3c2e6f10-5a4b-4c3d-8e2f-000000000020",
  // The alert test: a claim through the claims API on a subscription the user's partner holds, by another partner.
  // PORBOT_E2E_ALERT=0 skips it (e.g. against the peer bot).
  alert: process.env.PORBOT_E2E_ALERT !== "0" && {
    apiKey: "e2e-claims-key-0123456789abcdef0123",
    subscriptionId: process.env.PORBOT_E2E_ALERT_SUBSCRIPTION || "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11",
    claimantPartnerId: process.env.PORBOT_E2E_ALERT_CLAIMANT || "5523456",
  },
  botStartTimeoutMs: seconds("PORBOT_E2E_BOT_START_TIMEOUT", 60),
  replyTimeoutMs: seconds("PORBOT_E2E_REPLY_TIMEOUT", 20),
  keepTemp: process.env.PORBOT_E2E_KEEP_TEMP === "1",
};
