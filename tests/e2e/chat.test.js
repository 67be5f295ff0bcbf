// End-to-end: the bot under test as a real process, the Microsoft 365 Agents Playground in front of it,
// and its web UI driven in headless Chromium. Opening the chat installs the bot (welcome card), then the
// user types "help". Run with `npm test` from this folder (see README.md).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { describe, before, after, test } = require("node:test");
const config = require("./lib/config");
const { stopAll } = require("./lib/children");
const { startBot } = require("./lib/bot");
const { startPlayground } = require("./lib/playground");
const { openPlayground } = require("./lib/browser");
const { sleep } = require("./lib/net");

const FILE_BUDGET_MS = 170000; // the whole file stays under 3 minutes, whatever hangs
const t0 = Date.now();
const out = config.outputDir;
fs.rmSync(out, { recursive: true, force: true }); // no stale screenshot or log from an earlier run
fs.mkdirSync(out, { recursive: true });
const files = {
  // Progress and diagnostics also go here: when the runner itself is killed nobody reads our stdout.
  e2eLog: path.join(out, "e2e.log"),
  botLog: path.join(out, "bot.log"),
  playgroundLog: path.join(out, "playground.log"),
  recording: path.join(out, "events-recording.log"),
};
const stamp = () => `[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s]`;
const record = (text) => { try { fs.appendFileSync(files.e2eLog, text + "\n"); } catch {} };
const log = (msg) => { const line = `${stamp()} ${msg}`; record(line); console.log(line); };
const state = { tempDir: null, bot: null, playground: null, browser: null, failed: false, setupError: null };

function tailOf(file, lines = 40) {
  try { return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n"); }
  catch { return "(no log)"; }
}

function printDiagnostics(reason) {
  if (state.failed) return; // once is enough; the first failure is the interesting one
  state.failed = true;
  const lines = [`E2E FAILURE: ${reason}`];
  lines.push(`--- bot log tail (${files.botLog}) ---`, tailOf(files.botLog));
  lines.push(`--- playground log tail (${files.playgroundLog}) ---`, tailOf(files.playgroundLog));
  if (state.playground) lines.push(`--- playground app log tail (${state.playground.appLog}) ---`, tailOf(state.playground.appLog, 25));
  if (state.browser && state.browser.blocked.length) {
    lines.push(`--- requests blocked (offline): ${state.browser.blocked.length}, e.g. ${state.browser.blocked.slice(0, 3).join(" ")}`);
  }
  lines.push(`--- events recording: ${files.recording}`);
  lines.push(`--- last screenshot: ${state.browser && state.browser.lastScreenshot || "(none)"}`);
  record(`${stamp()} ${lines.join("\n")}`);
  console.error(lines.join("\n"));
}

/** Runs a test step; on failure takes a screenshot if it can and prints the logs before rethrowing. */
async function step(name, fn) {
  if (state.setupError) throw new Error(`setup failed: ${state.setupError.message}`);
  try {
    return await fn();
  } catch (e) {
    if (state.browser && state.browser.page) await state.browser.screenshot(`failure-${name}`).catch(() => {});
    printDiagnostics(`${name}: ${e.message}`);
    throw e;
  }
}

let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    if (state.browser) await state.browser.close();
    await stopAll(5000);
    if (state.tempDir) fs.rmSync(path.join(state.tempDir, "chromium-profile"), { recursive: true, force: true });
    if (state.tempDir && !state.failed && !config.keepTemp) fs.rmSync(state.tempDir, { recursive: true, force: true });
    else if (state.tempDir) log(`temp dir kept: ${state.tempDir}`);
  })();
  return cleaning;
}

async function abort(reason, code) {
  printDiagnostics(reason);
  const hard = setTimeout(() => process.exit(code), 15000);
  hard.unref();
  await cleanup().catch(() => {});
  log(`child processes stopped after ${reason}`);
  process.exit(code);
}

// After the runner is killed our stdout/stderr pipes are closed: an EPIPE must not skip the cleanup.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
  process.once(sig, () => abort(`interrupted by ${sig}`, code));
}
const watchdog = setTimeout(() => abort(`the e2e file exceeded its ${FILE_BUDGET_MS / 1000} s budget`, 1), FILE_BUDGET_MS);
watchdog.unref();

describe("PorBot in the Agents Playground web UI", () => {
  // A failure here is kept and rethrown by every test: a failed `before` hook would only mark the tests
  // "cancelled", and the lead's script counts "fail".
  before(async () => {
    try { await startEverything(); } catch (e) { state.setupError = e; }
  }, { timeout: config.botStartTimeoutMs + 45000 });

  async function startEverything() {
    state.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "porbot-e2e-"));
    await step("start-bot", async () => {
      state.bot = await startBot({ tempDir: state.tempDir, logFile: files.botLog });
      log(`bot ready on ${state.bot.url} (pid ${state.bot.handle.pid})`);
    });
    await step("start-playground", async () => {
      state.playground = await startPlayground({
        endpoint: state.bot.endpoint, workDir: path.join(state.tempDir, "playground"),
        tenantId: config.tenantId, userAadObjectId: config.userAadObjectId,
        logFile: files.playgroundLog, recordingFile: files.recording,
      });
      log(`playground listening on ${state.playground.url} (pid ${state.playground.handle.pid}) -> ${state.bot.endpoint}`);
    });
    await step("start-browser", async () => {
      state.browser = await openPlayground({
        executablePath: config.chromium, playgroundPort: state.playground.port,
        profileDir: path.join(state.tempDir, "chromium-profile"), shotsDir: out,
      });
    });
  }

  after(async () => {
    await cleanup();
    log("all child processes stopped");
  }, { timeout: 30000 });

  test("opening the chat installs the bot and shows its welcome card", { timeout: 45000 }, () =>
    step("welcome", async () => {
      await state.browser.load();
      await state.browser.screenshot("01-chat-opened");
      log("playground UI loaded; waiting for the welcome card");
      const welcome = await state.browser.waitForBotMessage(config.welcomeExpect, { timeoutMs: config.replyTimeoutMs });
      await state.browser.screenshot("02-welcome");
      log(`welcome: ${JSON.stringify(welcome.text.slice(0, 200))}`);
    }));

  test(`"${config.helpSay}" gets the help answer`, { timeout: 45000 }, () =>
    step("help", async () => {
      const before = await settledBotMessageCount(state.browser);
      await state.browser.send(config.helpSay);
      await state.browser.screenshot("03-help-sent");
      log(`sent ${JSON.stringify(config.helpSay)} after ${before} bot message(s)`);
      const answer = await state.browser.waitForBotMessage(config.helpExpect, { skip: before, timeoutMs: config.replyTimeoutMs });
      await state.browser.screenshot("04-help-answer");
      log(`help answer: ${JSON.stringify(answer.text.slice(0, 200))}`);
    }));

  // What partner staff actually ask: a POR question in their own words, and a partner ID check.
  for (const [name, say, expect] of config.conversation) {
    test(`"${say}" is answered`, { timeout: 45000 }, () =>
      step(name, async () => {
        const before = await settledBotMessageCount(state.browser);
        await state.browser.send(say);
        const answer = await state.browser.waitForBotMessage(expect, { skip: before, timeoutMs: config.replyTimeoutMs });
        await state.browser.screenshot(`05-${name}`);
        log(`${name} answer: ${JSON.stringify(answer.text.slice(0, 200))}`);
      }));
  }

  // A partner's CRM claims a subscription this user's partner holds: the conflict alert arrives in the chat
  // proactively, and the user's click on the card (add proof) replaces it, then the proof shows on the card.
  if (config.alert) {
    test("a claim through the API brings the conflict alert, and adding proof updates the card", { timeout: 60000 }, () =>
      step("alert", async () => {
        const before = await settledBotMessageCount(state.browser);
        const response = await fetch(`${state.bot.url}/api/claims`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${config.alert.apiKey}` },
          body: JSON.stringify({ subscriptionId: config.alert.subscriptionId, claimantPartnerId: config.alert.claimantPartnerId, source: "e2e" }),
        });
        const claim = await response.json();
        log(`claim: ${response.status} ${JSON.stringify(claim)}`);
        if (response.status !== 202 || claim.outcome !== "Conflict") throw new Error(`expected 202 and a Conflict, got ${response.status} ${JSON.stringify(claim)}`);

        const alert = await state.browser.waitForBotMessage([/POR conflict/i, /Adventure Works/, /Fabrikam/],
          { skip: before, timeoutMs: config.replyTimeoutMs });
        await state.browser.screenshot("06-alert");
        log(`alert card: ${JSON.stringify(alert.text.slice(0, 300))}`);

        const card = state.browser.botMessage(alert.index);
        await card.getByRole("button", { name: /add proof/i }).first().click({ timeout: 10000 });
        await state.browser.waitForMessageText(alert.index, [/Add proof of execution/i], { timeoutMs: config.replyTimeoutMs });
        await state.browser.screenshot("07-proof-form");
        await card.locator("textarea, input[type=text]").first().fill("Migrating 40 mailboxes since March (e2e).");
        await card.getByRole("button", { name: /^Add proof$/ }).click({ timeout: 10000 });
        const updated = await state.browser.waitForMessageText(alert.index, [/Proof added by \W*Contoso/i], { timeoutMs: config.replyTimeoutMs });
        await state.browser.screenshot("08-proof-added");
        log(`card after proof: ${JSON.stringify(updated.slice(0, 300))}`);
      }));
  }
});

/** Waits until no new bot message arrived for 1 s (max 5 s), so a late welcome is not taken for the answer. */
async function settledBotMessageCount(browser) {
  let count = -1, stableSince = Date.now();
  for (const end = Date.now() + 5000; Date.now() < end && Date.now() - stableSince < 1000;) {
    const n = (await browser.botMessages()).length;
    if (n !== count) { count = n; stableSince = Date.now(); }
    await sleep(200);
  }
  return count;
}
