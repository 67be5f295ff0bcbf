// build-package.js - builds the Teams app package: fills manifest.template.json, draws the icons
// (icon.js) and writes a zip with manifest.json, color.png and outline.png at its root. Plain Node 20+,
// no packages. Run it through ./build-package (see README "Register the app in Teams").
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { makeIcons, crc32 } = require("./icon");

const HERE = __dirname;
// Bump on every change to the manifest: Teams ignores an upload whose version it already has.
const DEFAULT_VERSION = "1.0.0";
const USAGE = `usage: manifest/build-package [--app-id GUID] [--domain HOST] [--version X.Y.Z] [--out FILE]
                              [--developer-name NAME] [--website-url URL] [--privacy-url URL] [--terms-url URL]

Each option falls back to an environment variable:
  --app-id          BOT_APP_ID (else MicrosoftAppId)   the bot's Entra app (client) id, a GUID  [required]
  --domain          BOT_DOMAIN                          host of the messaging endpoint, e.g. porbot-contoso.azurewebsites.net  [required]
  --version         APP_VERSION                         manifest version (semver); default ${DEFAULT_VERSION}
  --developer-name  DEVELOPER_NAME                      default "PorBot"
  --website-url     DEVELOPER_WEBSITE_URL               default https://DOMAIN/
  --privacy-url     DEVELOPER_PRIVACY_URL               default https://DOMAIN/privacy
  --terms-url       DEVELOPER_TERMS_URL                 default https://DOMAIN/terms
  --out             (none)                              default manifest/build/appPackage.zip
manifest.json, color.png and outline.png are also written next to the zip, for inspection.`;

const OPTIONS = {
  "--app-id": "BOT_APP_ID",
  "--domain": "BOT_DOMAIN",
  "--version": "APP_VERSION",
  "--developer-name": "DEVELOPER_NAME",
  "--website-url": "DEVELOPER_WEBSITE_URL",
  "--privacy-url": "DEVELOPER_PRIVACY_URL",
  "--terms-url": "DEVELOPER_TERMS_URL",
  "--out": "OUT",
};

class UsageError extends Error {}

function parseArgs(argv, env) {
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") return null;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const key = OPTIONS[flag];
    if (!key) throw new UsageError(`unknown argument ${arg}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    given[key] = value;
  }
  const pick = (key, ...fallbacks) => [given[key], env[key], ...fallbacks.map((f) => env[f])].find((v) => v !== undefined && v !== "");
  return {
    BOT_APP_ID: pick("BOT_APP_ID", "MicrosoftAppId"),
    BOT_DOMAIN: pick("BOT_DOMAIN"),
    APP_VERSION: pick("APP_VERSION") ?? DEFAULT_VERSION,
    DEVELOPER_NAME: pick("DEVELOPER_NAME") ?? "PorBot",
    DEVELOPER_WEBSITE_URL: pick("DEVELOPER_WEBSITE_URL"),
    DEVELOPER_PRIVACY_URL: pick("DEVELOPER_PRIVACY_URL"),
    DEVELOPER_TERMS_URL: pick("DEVELOPER_TERMS_URL"),
    OUT: given.OUT ?? path.join(HERE, "build", "appPackage.zip"),
  };
}

/** Checks and completes the values; every problem is reported at once. */
function resolveValues(v) {
  const problems = [], warnings = [];
  const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!v.BOT_APP_ID) problems.push("no app id: pass --app-id or set BOT_APP_ID to the bot's Entra app (client) id");
  else if (!guid.test(v.BOT_APP_ID.trim()))
    problems.push(`the app id '${v.BOT_APP_ID}' is not a GUID: BOT_APP_ID/--app-id must be the bot's Entra app (client) id, like 5e3f7a8b-1c2d-4e5f-9a0b-c1d2e3f4a5b6`);
  else v.BOT_APP_ID = v.BOT_APP_ID.trim().toLowerCase();

  const host = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
  if (!v.BOT_DOMAIN) problems.push("no domain: pass --domain or set BOT_DOMAIN to the host of the messaging endpoint (e.g. porbot-contoso.azurewebsites.net)");
  else if (/^[a-z]+:\/\//i.test(v.BOT_DOMAIN) || v.BOT_DOMAIN.includes("/"))
    problems.push(`the domain '${v.BOT_DOMAIN}' looks like a URL: give the host name only (e.g. porbot-contoso.azurewebsites.net)`);
  else if (!host.test(v.BOT_DOMAIN)) problems.push(`the domain '${v.BOT_DOMAIN}' is not a host name (e.g. porbot-contoso.azurewebsites.net)`);
  else v.BOT_DOMAIN = v.BOT_DOMAIN.toLowerCase();

  if (!/^\d+\.\d+\.\d+$/.test(v.APP_VERSION)) problems.push(`the version '${v.APP_VERSION}' is not MAJOR.MINOR.PATCH (e.g. 1.0.3)`);
  if (v.DEVELOPER_NAME.length > 32) problems.push(`the developer name is ${v.DEVELOPER_NAME.length} characters; Teams allows 32`);

  const defaults = { DEVELOPER_WEBSITE_URL: "/", DEVELOPER_PRIVACY_URL: "/privacy", DEVELOPER_TERMS_URL: "/terms" };
  for (const [key, suffix] of Object.entries(defaults)) {
    if (v[key] === undefined && v.BOT_DOMAIN && !problems.length) {
      v[key] = `https://${v.BOT_DOMAIN}${suffix}`;
      warnings.push(`${key} not set; using ${v[key]} (PorBot serves no such page: set it to your organisation's page)`);
    } else if (v[key] !== undefined && !/^https:\/\/[^\s/]+/i.test(v[key])) {
      problems.push(`${key} '${v[key]}' must be an https:// URL`);
    }
  }
  return { problems, warnings };
}

/** Replaces every ${{NAME}} (JSON-escaped, as all placeholders sit inside strings); unknown names are an error. */
function fillTemplate(text, values) {
  const unknown = new Set();
  const filled = text.replace(/\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name) => {
    if (values[name] === undefined) { unknown.add(name); return ""; }
    return JSON.stringify(String(values[name])).slice(1, -1);
  });
  if (unknown.size) throw new UsageError(`manifest.template.json uses placeholders with no value: ${[...unknown].join(", ")}`);
  return JSON.stringify(JSON.parse(filled), null, 2) + "\n";
}

// --- zip writer: deflate, fixed timestamps (1980-01-01) so the same inputs give the same bytes ---
function zip(files) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = Buffer.from(name, "utf8");
    const packed = zlib.deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const common = (header) => {
      header.writeUInt16LE(20, 0); // version needed: 2.0 (deflate)
      header.writeUInt16LE(0x0800, 2); // UTF-8 names
      header.writeUInt16LE(8, 4); // deflate
      header.writeUInt16LE(0, 6); // time 00:00
      header.writeUInt16LE((0 << 9) | (1 << 5) | 1, 8); // date 1980-01-01
      header.writeUInt32LE(crc, 10);
      header.writeUInt32LE(packed.length, 14);
      header.writeUInt32LE(data.length, 18);
      header.writeUInt16LE(nameBytes.length, 22);
      return header;
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    common(local.subarray(4));
    locals.push(local, nameBytes, packed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by: 2.0, MS-DOS attributes
    common(central.subarray(6));
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function main() {
  let values;
  try {
    values = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    console.error(`build-package: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (!values) { console.log(USAGE); return 0; }

  const { problems, warnings } = resolveValues(values);
  for (const w of warnings) console.error(`build-package: warning: ${w}`);
  if (problems.length) {
    for (const p of problems) console.error(`build-package: error: ${p}`);
    return 1;
  }

  const manifest = fillTemplate(fs.readFileSync(path.join(HERE, "manifest.template.json"), "utf8"), values);
  const files = { "manifest.json": Buffer.from(manifest, "utf8"), ...makeIcons() };

  const out = path.resolve(values.OUT);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(path.dirname(out), name), data);
  fs.writeFileSync(out, zip(files));
  console.log(`build-package: wrote ${out} (app id ${values.BOT_APP_ID}, domain ${values.BOT_DOMAIN}, version ${values.APP_VERSION})`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`build-package: error: ${e instanceof UsageError ? e.message : e.stack}`);
  process.exitCode = e instanceof UsageError ? 1 : 2;
}
