#!/usr/bin/env node
// validate-card.js - validates Adaptive Card JSON files for a host that renders up to 1.5 (Teams), offline.
//
// Three layers, because each misses things the others catch:
//   1. the official adaptivecards 3.0.6 SDK (versions, element/action support, enum values, SDK rules);
//   2. required properties from the 1.5 schema, which the SDK does not report (TextBlock.text, Fact.value, ...);
//   3. the official 1.5 JSON schema (schemas/adaptive-card-1.5.json, additionalProperties:false), which
//      catches misspelt property names the SDK silently ignores. Teams' own root "msteams" is removed first.
// Plus Teams rules from bot-protocol.md: no Media, refresh.userIds <= 60.
//
// Usage: node validate-card.js [--json] [--host-max 1.5] [--no-extra] [--no-schema] FILE...  ("-" = stdin)
// Exit: 0 all valid (warnings allowed), 1 a card is invalid, 2 unreadable file / bad JSON / usage.
// --json prints one JSON object: {"hostMax":"1.5","files":[{"file","valid","errors":[{code,where,message}],"warnings":[...]}]}
"use strict";
const fs = require("fs");
const path = require("path");

// require("adaptivecards") loads lib/ (ESM with extensionless imports), which fails on Node 20; the UMD bundle works.
const AC = require("adaptivecards/dist/adaptivecards.js");

const USAGE = "usage: validate-card.js [--json] [--host-max 1.5] [--no-extra] [--no-schema] FILE...   (FILE may be - for stdin)";
const CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
const MAX_REFRESH_USER_IDS = 60;

function parseArgs(argv) {
  const opts = { json: false, hostMax: "1.5", extra: true, schema: true, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") opts.json = true;
    else if (a === "--host-max") {
      opts.hostMax = argv[++i];
      if (!/^\d+\.\d+$/.test(opts.hostMax || "")) usage(`--host-max needs a version like 1.5`);
    } else if (a === "--no-extra") opts.extra = false;
    else if (a === "--no-schema") opts.schema = false;
    else if (a === "-h" || a === "--help") { console.log(USAGE); process.exit(0); }
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length === 0) usage("no FILE given");
  return opts;
}

function usage(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

// ---- 1. official SDK ----------------------------------------------------------------------------------

const E = AC.ValidationEvent;
// SDK events that are advice, not defects.
const SDK_WARNINGS = new Set([E.Hint, E.Deprecated, E.RequiredInputsShouldHaveLabel,
  E.RequiredInputsShouldHaveErrorMessage, E.UnsupportedProperty, E.Other]);

function sdkChecks(json, hostMax, out) {
  const declared = AC.Version.parse(json.version, new AC.SerializationContext());
  const max = AC.Version.parse(hostMax, new AC.SerializationContext());
  const card = new AC.AdaptiveCard();
  card.maxVersion = max; // reports UnsupportedCardVersion above the host's max
  // Parse with the declared version as target so elements newer than the card's version are rejected.
  const target = declared && declared.isValid && declared.compareTo(max) <= 0 ? declared : max;
  const ctx = new AC.SerializationContext(target);
  card.parse(json, ctx);
  for (let i = 0; i < ctx.eventCount; i++) {
    const ev = ctx.getEventAt(i);
    out.push(finding(SDK_WARNINGS.has(ev.event), E[ev.event], "parse", ev.message));
  }
  for (const ev of card.validateProperties().validationEvents) {
    const src = ev.source;
    const where = src ? `${src.getJsonTypeName ? src.getJsonTypeName() : "?"}${src.id ? "#" + src.id : ""}` : "card";
    out.push(finding(SDK_WARNINGS.has(ev.event), E[ev.event], where, ev.message));
  }
}

// ---- 2. required properties and Teams rules -----------------------------------------------------------

const REQUIRED = {
  "TextBlock": ["text"], "Image": ["url"], "Media": ["sources"], "RichTextBlock": ["inlines"],
  "TextRun": ["text"], "FactSet": ["facts"], "ImageSet": ["images"],
  "Input.Text": ["id"], "Input.Number": ["id"], "Input.Date": ["id"], "Input.Time": ["id"],
  "Input.Toggle": ["id", "title"], "Input.ChoiceSet": ["id"], "ActionSet": ["actions"],
  "Action.OpenUrl": ["url"], "Action.ShowCard": ["card"], "Action.ToggleVisibility": ["targetElements"],
  "Container": ["items"],
};
const TEAMS_UNSUPPORTED = new Set(["Media"]);

function extraChecks(json, out) {
  if (json.version === undefined) // the SDK silently defaults a missing version to the latest
    out.push(finding(false, "MissingRequiredProperty", "$", 'AdaptiveCard is missing required property "version"'));
  if (json.type !== "AdaptiveCard")
    out.push(finding(false, "MissingCardType", "$", 'root "type" must be "AdaptiveCard"'));
  const userIds = json.refresh && json.refresh.userIds;
  if (Array.isArray(userIds) && userIds.length > MAX_REFRESH_USER_IDS)
    out.push(finding(false, "TooManyRefreshUserIds", "$.refresh.userIds",
      `Teams allows at most ${MAX_REFRESH_USER_IDS} refresh userIds, found ${userIds.length}`));
  walk(json, "$", out);
}

function walk(node, where, out) {
  if (Array.isArray(node)) { node.forEach((n, i) => walk(n, `${where}[${i}]`, out)); return; }
  if (!node || typeof node !== "object") return;
  const type = node.type;
  for (const p of REQUIRED[type] || []) {
    if (node[p] === undefined || node[p] === null || node[p] === "")
      out.push(finding(false, "MissingRequiredProperty", where, `${type} is missing required property "${p}"`));
  }
  if (TEAMS_UNSUPPORTED.has(type))
    out.push(finding(false, "NotSupportedInTeams", where, `${type} is not rendered by Teams`));
  if (type === "FactSet" && Array.isArray(node.facts)) {
    node.facts.forEach((f, i) => {
      for (const p of ["title", "value"])
        if (f == null || typeof f[p] !== "string")
          out.push(finding(false, "MissingRequiredProperty", `${where}.facts[${i}]`, `Fact is missing required string property "${p}"`));
    });
  }
  for (const [k, v] of Object.entries(node)) if (v && typeof v === "object") walk(v, `${where}.${k}`, out);
}

// ---- 3. official JSON schema --------------------------------------------------------------------------

let schemaValidators; // {definitions, validatorFor(type)}

function loadSchema() {
  if (schemaValidators) return schemaValidators;
  // ajv is installed as a dependency of @microsoft/app-manifest (pinned through package-lock.json).
  const Ajv = require("ajv");
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json"));
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "schemas", "adaptive-card-1.5.json"), "utf8"));
  schema.$id = schema.id; // draft-06 says "$id"; the published file still uses the draft-04 "id"
  delete schema.id;
  ajv.addSchema(schema);
  const cache = new Map();
  schemaValidators = {
    definitions: schema.definitions,
    validatorFor(type) {
      if (!cache.has(type)) cache.set(type, ajv.compile({ $ref: `${schema.$id}#/definitions/${type}` }));
      return cache.get(type);
    },
  };
  return schemaValidators;
}

// Validates every typed node against its own definition and keeps only the errors that belong to that node
// (not those inside a typed child, which is validated on its own). This turns ajv's anyOf noise into
// one message at the element that is wrong.
function schemaChecks(json, out) {
  const s = loadSchema();
  const card = { ...json };
  delete card.msteams; // Teams-only root property, rejected by additionalProperties:false
  const isTyped = (n) => n && typeof n === "object" && !Array.isArray(n) && typeof n.type === "string" && s.definitions[n.type];
  const visit = (node, where) => {
    if (Array.isArray(node)) { node.forEach((n, i) => visit(n, `${where}[${i}]`)); return; }
    if (!node || typeof node !== "object") return;
    if (isTyped(node)) {
      const validate = s.validatorFor(node.type);
      if (!validate(node)) {
        const messages = new Map();
        for (const err of validate.errors) {
          const owner = ownerOf(node, err.instancePath, isTyped);
          if (owner.kind === "typed") continue; // reported when that child is visited
          if (owner.kind === "unknown") {
            const at = where + jsonPointerToPath(owner.pointer);
            messages.set(`${at}|unknown`, { at, detail: `"${owner.type}" is not an Adaptive Card 1.5 type` });
            continue;
          }
          // anyOf/pattern/"must be null" restate the enum or type error of an optional property.
          if (err.keyword === "anyOf" || err.keyword === "pattern" || (err.keyword === "type" && err.params.type === "null")) continue;
          const at = where + jsonPointerToPath(err.instancePath);
          const detail = err.keyword === "additionalProperties" ? `unknown property "${err.params.additionalProperty}"`
            : err.keyword === "required" ? `missing property "${err.params.missingProperty}"`
            : err.keyword === "enum" ? `${err.message}: ${err.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`
            : err.message;
          messages.set(`${at}|${detail}`, { at, detail });
        }
        for (const { at, detail } of messages.values())
          out.push(finding(false, "SchemaViolation", at, `${node.type}: ${detail}`));
      }
    }
    for (const [k, v] of Object.entries(node)) if (v && typeof v === "object") visit(v, `${where}.${k}`);
  };
  visit(card, "$");
}

// Which node an error at `pointer` (relative to root) belongs to: a typed child (validated on its own), an
// object whose "type" the 1.5 schema does not know, or the root itself.
function ownerOf(root, pointer, isTyped) {
  let n = root;
  let at = "";
  for (const seg of pointer.split("/").slice(1)) {
    n = n == null ? undefined : n[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
    at += "/" + seg;
    if (isTyped(n)) return { kind: "typed" };
    if (n && typeof n === "object" && !Array.isArray(n) && typeof n.type === "string") return { kind: "unknown", type: n.type, pointer: at };
  }
  return { kind: "self" };
}

function jsonPointerToPath(pointer) {
  return pointer.split("/").slice(1).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join("");
}

// ---- driver -------------------------------------------------------------------------------------------

function finding(isWarning, code, where, message) {
  return { level: isWarning ? "warning" : "error", code: code || "Unknown", where, message };
}

function validateCard(json, opts) {
  const out = [];
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    out.push(finding(false, "NotAnObject", "$", "card must be a JSON object"));
    return out;
  }
  sdkChecks(json, opts.hostMax, out);
  if (opts.extra) extraChecks(json, out);
  if (opts.schema) schemaChecks(json, out);
  return out;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const results = [];
  let exitCode = 0;
  for (const file of opts.files) {
    const name = file === "-" ? "<stdin>" : file;
    let json;
    try {
      json = JSON.parse(fs.readFileSync(file === "-" ? 0 : file, "utf8").replace(/^\uFEFF/, ""));
    } catch (e) {
      results.push({ file: name, valid: false, unreadable: true,
        errors: [finding(false, "Unreadable", "$", `cannot read/parse JSON: ${e.message}`)], warnings: [] });
      exitCode = 2;
      continue;
    }
    // Accept the attachment wrapper found in activities.
    if (json && json.contentType === CARD_CONTENT_TYPE && json.content && typeof json.content === "object") json = json.content;
    const events = validateCard(json, opts);
    const errors = events.filter((e) => e.level === "error");
    const warnings = events.filter((e) => e.level === "warning");
    results.push({ file: name, valid: errors.length === 0, errors, warnings });
    if (errors.length) exitCode = Math.max(exitCode, 1);
  }

  if (opts.json) {
    process.stdout.write(JSON.stringify({ hostMax: opts.hostMax, files: results }) + "\n");
  } else {
    for (const r of results) {
      for (const e of [...r.errors, ...r.warnings]) console.log(`${r.file}: ${e.level}: [${e.code}] (${e.where}) ${e.message}`);
      console.log(`${r.file}: ${r.valid ? "OK" : "INVALID"} (${r.errors.length} error(s), ${r.warnings.length} warning(s); host max ${opts.hostMax})`);
    }
  }
  process.exitCode = exitCode;
}

main();
