// The peer of the throughput benchmark: the Bot Builder for JavaScript 4.23 echo bot as its samples build
// it (CloudAdapter + ActivityHandler), auth off (no MicrosoftAppId), on node's own http server so that no
// web framework of ours sits in front of it. Replies "echo: <text>" through the activity's serviceUrl.
//
//   node bench/tools/peer/peer-bot.js [--port 3978] [--host 127.0.0.1]
"use strict";
const http = require("http");
const { CloudAdapter, ConfigurationBotFrameworkAuthentication, ActivityHandler } = require("botbuilder");

const args = process.argv.slice(2);
const arg = (name, fallback) => { const i = args.indexOf(name); return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback; };
const port = Number(arg("--port", "3978"));
const host = arg("--host", "127.0.0.1");

// No MicrosoftAppId: inbound tokens are not validated and replies carry no token, as in PorBot's bench run.
const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
adapter.onTurnError = async (context, error) => { console.error("peer-bot: turn failed:", error && error.message); };

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(`echo: ${context.activity.text}`);
      await next();
    });
  }
}
const bot = new EchoBot();

// CloudAdapter.process() expects restify/express-style request and response objects: give it a parsed body
// and the few response methods it calls.
const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url.split("?")[0] !== "/api/messages") { res.statusCode = 404; res.end(); return; }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    try { req.body = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { res.statusCode = 400; res.end(); return; }
    const response = {
      socket: res.socket,
      status: (code) => { res.statusCode = code; },
      header: (name, value) => res.setHeader(name, value),
      send: (body) => {
        if (body === undefined || body === null) return;
        if (typeof body === "object" && !Buffer.isBuffer(body)) { res.setHeader("content-type", "application/json"); res.write(JSON.stringify(body)); }
        else res.write(body);
      },
      end: () => res.end(),
    };
    adapter.process(req, response, (context) => bot.run(context)).catch((error) => {
      console.error("peer-bot: request failed:", error && error.message);
      if (!res.writableEnded) { res.statusCode = 500; res.end(); }
    });
  });
});
server.keepAliveTimeout = 65000;
server.on("error", (error) => { console.error(`peer-bot: ${error.message}`); process.exit(1); });
server.listen(port, host, () => console.log(`peer-bot: listening on http://${host}:${server.address().port}/api/messages`));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
