#!/usr/bin/env node
// render-card.js - renders an Adaptive Card to PNG with the adaptivecards 3.0.6 browser bundle in headless
// chromium, using only chromium's own --dump-dom and --screenshot (no driver package), offline.
//
// Usage: node render-card.js CARD.json OUT.png [width=520]     (CARD.json may be "-" for stdin)
// Exit: 0 rendered, 1 the SDK rendered nothing / threw (the PNG shows the error), 2 usage / bad JSON / browser failure.
//
// Two browser runs: the first renders the page and dumps the DOM to learn the card's height, the second takes
// the screenshot at exactly that size, so the image is as tall as the card (at least 160px). Every host name
// resolves to nothing, so remote images show as empty. Markdown goes through a small CommonMark-like subset
// (bold, italic, links, backslash escapes, <at> mentions) that approximates Teams; fonts differ from Teams. A layout check,
// not a pixel match.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");
const { pathToFileURL } = require("url");

const CHROMIUM = process.env.PORBOT_CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 60_000;
const MAX_HEIGHT = 8000;
// Headless chromium paints only part of the page when the window is shorter than ~150px, so small cards get
// some background below them rather than a clipped image.
const MIN_HEIGHT = 160;

function usage(message) {
  console.error(`${message}\nusage: node render-card.js CARD.json OUT.png [width=520]`);
  process.exit(2);
}

const [cardFile, outPng, widthArg = "520"] = process.argv.slice(2);
const width = Number(widthArg);
if (!cardFile || !outPng) usage("CARD.json and OUT.png are required");
if (!Number.isInteger(width) || width < 200 || width > 2000) usage("width must be an integer from 200 to 2000");

let card;
try {
  card = JSON.parse(fs.readFileSync(cardFile === "-" ? 0 : cardFile, "utf8").replace(/^\uFEFF/, ""));
} catch (e) {
  usage(`${cardFile}: cannot read/parse JSON: ${e.message}`);
}
if (card && card.contentType === "application/vnd.microsoft.card.adaptive" && card.content) card = card.content;

const dist = path.join(path.dirname(require.resolve("adaptivecards/package.json")), "dist");

// Runs in the page. Kept free of template substitutions except the card JSON.
function pageScript() {
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, md) => {
    // Protect backslash escapes first so escaped metacharacters stay literal, as CommonMark does.
    const held = [];
    let html = escapeHtml(text).replace(/\\([\\`*_{}\[\]()#+\-.!<>|~]|&lt;|&gt;|&amp;)/g, (_, c) => { held.push(c); return `\u0000${held.length - 1}\u0000`; });
    html = html
      .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>')
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,!?])/g, "$1<em>$2</em>")
      .replace(/&lt;at&gt;(.+?)&lt;\/at&gt;/g, '<span style="color:#5b5fc7;font-weight:600">$1</span>') // Teams mention look
      .replace(/\n/g, "<br>")
      .replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
    md.outputHtml = html;
    md.didProcess = true;
  };
  let outcome;
  try {
    const ac = new AdaptiveCards.AdaptiveCard();
    ac.hostConfig = new AdaptiveCards.HostConfig({ fontFamily: "Segoe UI, Helvetica Neue, DejaVu Sans, sans-serif" });
    ac.parse(CARD);
    const el = ac.render();
    if (el) { document.getElementById("card").appendChild(el); outcome = { ok: true }; }
    else outcome = { ok: false, error: "render() returned nothing" };
  } catch (e) {
    outcome = { ok: false, error: String(e && e.stack || e) };
  }
  if (!outcome.ok) status.textContent = "ERROR " + outcome.error;
  // Measure once images have loaded or failed: their boxes change size.
  window.addEventListener("load", () => {
    outcome.height = Math.ceil(document.getElementById("frame").getBoundingClientRect().height);
    result.textContent = JSON.stringify(outcome);
  });
}

function pageHtml() {
  const cardJson = JSON.stringify(card).replace(/</g, "\\u003c"); // no "</script>" can end the script early
  const fileUrl = (f) => pathToFileURL(path.join(dist, f)).href;
  return `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="${fileUrl("adaptivecards.css")}">
<script src="${fileUrl("adaptivecards.min.js")}"></script>
<style>html,body{margin:0;background:#f5f5f5;font-family:'Segoe UI','DejaVu Sans',sans-serif}
#frame{padding:16px;width:${width - 32}px}#card{background:#fff;border:1px solid #ddd;border-radius:4px;overflow:hidden}
#status{margin:8px 0 0;color:#a00;white-space:pre-wrap;font-size:12px}#result{display:none}</style></head>
<body><div id="frame"><div id="card"></div><pre id="status"></pre></div><pre id="result"></pre>
<script>const CARD = ${cardJson};(${pageScript.toString()})();</script></body></html>`;
}

function runChromium(extraArgs, pageUrl) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "porbot-chromium-"));
  const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--force-device-scale-factor=1", "--host-resolver-rules=MAP * ~NOTFOUND", `--user-data-dir=${profile}`,
    ...extraArgs, pageUrl];
  return new Promise((resolve) => {
    const child = spawn(CHROMIUM, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    const done = (code, error) => {
      clearTimeout(timer);
      fs.rmSync(profile, { recursive: true, force: true });
      resolve({ code, stdout, stderr, error });
    };
    child.on("error", (e) => done(-1, e));
    child.on("close", (code) => done(code));
  });
}

class BrowserFailure extends Error {}

function fail(message) {
  throw new BrowserFailure(message);
}

(async () => {
  const t0 = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "porbot-render-"));
  try {
    const page = path.join(work, "card.html");
    fs.writeFileSync(page, pageHtml());
    const url = pathToFileURL(page).href;

    const measure = await runChromium([`--window-size=${width},600`, "--dump-dom"], url);
    if (measure.error || measure.code !== 0) fail(`chromium failed (${measure.error ? measure.error.message : "exit " + measure.code}): ${measure.stderr.slice(-500)}`);
    const m = /<pre id="result">([\s\S]*?)<\/pre>/.exec(measure.stdout);
    if (!m || !m[1]) fail("the page did not run (adaptivecards bundle not loaded?)");
    const outcome = JSON.parse(m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&nbsp;/g, "\u00a0").replace(/&amp;/g, "&"));
    const height = Math.min(Math.max(outcome.height, MIN_HEIGHT), MAX_HEIGHT);

    const outPath = path.resolve(outPng);
    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    fs.rmSync(outPath, { force: true });
    const shot = await runChromium([`--window-size=${width},${height}`, `--screenshot=${outPath}`], url);
    if (shot.error || shot.code !== 0 || !fs.existsSync(outPath)) fail(`chromium screenshot failed: ${shot.stderr.slice(-500)}`);

    if (!outcome.ok) {
      console.error(`card did not render: ${outcome.error} (wrote ${outPng} anyway)`);
      process.exitCode = 1;
    } else {
      console.log(`wrote ${outPng} (${width}x${height}) in ${Date.now() - t0} ms`);
    }
  } catch (e) {
    console.error(e instanceof BrowserFailure ? e.message : `render failed: ${e.stack || e}`);
    process.exitCode = 2;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
})();
