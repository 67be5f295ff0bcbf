// Drives the Agents Playground 0.2.28 web UI in headless Chromium with playwright-core. Selectors are
// those of that playground version: bot messages are ".fai-OutputCard" (the user's own bubbles and the
// log panel are not), the composer is a contenteditable textbox, the send button is "Send Message".
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");
const { sleep } = require("./net");
const { childGroupsNamed, watchGroup, unwatchGroup } = require("./children");

const BOT_MESSAGE = ".fai-OutputCard";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function openPlayground({ executablePath, playgroundPort, profileDir, shotsDir }) {
  fs.mkdirSync(profileDir, { recursive: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1400, height: 900 },
    // Our own SIGINT/SIGTERM handler stops the browser together with the other children.
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, timeout: 30000,
  });
  const session = new PlaygroundPage(context, playgroundPort, shotsDir);
  // Playwright runs chromium in its own process group; let the reaper know it too.
  session.groups = childGroupsNamed("chromium");
  session.groups.forEach(watchGroup);
  await session.init();
  return session;
}

class PlaygroundPage {
  constructor(context, port, shotsDir) {
    this.context = context;
    this.origin = `http://127.0.0.1:${port}`;
    this.local = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.shotsDir = shotsDir;
    this.lastScreenshot = null;
    this.blocked = [];
    this.groups = [];
  }

  async init() {
    this.page = this.context.pages()[0] || await this.context.newPage();
    // Offline: the UI would fetch fonts and telemetry from the internet; only the playground is allowed.
    await this.page.route((u) => !(u.protocol === "http:" && this.local.has(u.host)), (route) => {
      if (this.blocked.length < 50) this.blocked.push(route.request().url());
      return route.abort();
    });
  }

  /** Loading the page starts the chat: the playground sends installationUpdate + conversationUpdate. */
  async load() {
    await this.page.goto(`${this.origin}/`, { waitUntil: "domcontentloaded", timeout: 20000 });
    this.composer = this.page.locator('[role="textbox"][contenteditable="true"]').first();
    await this.composer.waitFor({ timeout: 20000 });
  }

  botMessages() {
    return this.page.locator(BOT_MESSAGE).evaluateAll((els) => els.map((e) => e.innerText.trim()));
  }

  /**
   * Waits for a bot message, among those after the first `skip` ones, that matches every pattern.
   * Returns { text, index }; on timeout throws with the bot messages seen.
   */
  async waitForBotMessage(patterns, { skip = 0, timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    let seen = [];
    while (Date.now() < deadline) {
      seen = (await this.botMessages()).slice(skip);
      const i = seen.findIndex((text) => patterns.every((re) => re.test(text)));
      if (i >= 0) return { text: seen[i], index: skip + i };
      await sleep(200);
    }
    throw new Error(`no bot message matching ${patterns.map(String).join(" and ")} within ${timeoutMs / 1000} s; ` +
      `bot messages seen: ${JSON.stringify(seen.map((t) => t.slice(0, 300)))}`);
  }

  /** The bot message at `index` (as counted by botMessages), for clicking and typing inside its card. */
  botMessage(index) {
    return this.page.locator(BOT_MESSAGE).nth(index);
  }

  /** Waits until the bot message at `index` matches every pattern (a card replaced or updated in place). */
  async waitForMessageText(index, patterns, { timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    let text = "";
    while (Date.now() < deadline) {
      text = (await this.botMessage(index).innerText().catch(() => "")).trim();
      if (patterns.every((re) => re.test(text))) return text;
      await sleep(200);
    }
    throw new Error(`bot message ${index} did not come to match ${patterns.map(String).join(" and ")} within ${timeoutMs / 1000} s; ` +
      `its text: ${JSON.stringify(text.slice(0, 500))}`);
  }

  async send(text) {
    await this.composer.click({ timeout: 10000 });
    await this.page.keyboard.type(text);
    await this.page.getByRole("button", { name: "Send Message" }).click({ timeout: 10000 });
  }

  async screenshot(name) {
    const file = path.join(this.shotsDir, `${name}.png`);
    await this.page.screenshot({ path: file, timeout: 10000 });
    this.lastScreenshot = file;
    return file;
  }

  async close() {
    let timer;
    const giveUp = new Promise((r) => { timer = setTimeout(r, 10000); });
    await Promise.race([this.context.close().catch(() => {}), giveUp]);
    clearTimeout(timer);
    for (const g of this.groups) { try { process.kill(-g, "SIGKILL"); } catch {} unwatchGroup(g); }
  }
}

module.exports = { openPlayground };
