#!/usr/bin/env node
// validate-manifest.js - validates a Teams app manifest, or an app package .zip, offline with the official
// @microsoft/app-manifest 1.1.2 (its bundled JSON schemas, v1.0 to v1.30 and devPreview).
// Adapted for PorBot's tests from ../shared/tools' validate-manifest: same checks, packages from this folder,
// placeholders left by the package build are an error here (we only ever validate built output).
//
// Usage: node validate-manifest.js [--json] FILE...   (FILE = manifest.json or app package .zip)
// - The schema is the one named by "$schema" (.../teams/vX.Y/MicrosoftTeams.schema.json), else by manifestVersion.
// - .zip: manifest.json must be at the root; icons.color must be a 192x192 PNG and icons.outline a 32x32 PNG in
//   the zip (read from the PNG header); an outline icon without an alpha channel or tRNS chunk is a warning.
// Exit: 0 valid (warnings allowed), 1 invalid, 2 unreadable / not a zip / no bundled schema / usage.
// --json prints {"files":[{"file","valid","schema","errors":[],"warnings":[]}]}
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

// fs-extra is listed in our package.json: @microsoft/app-manifest 1.1.2 requires it without declaring it.

const { AppManifestUtils } = require("@microsoft/app-manifest");

// Offline by construction: a schema fetch would hang or flake in CI, so any attempt fails loudly.
globalThis.fetch = async (url) => { throw new Error(`validate-manifest works offline (tried to fetch ${url})`); };

const SCHEMAS = path.join(path.dirname(require.resolve("@microsoft/app-manifest")), "json-schemas", "teams");
const ICON_SIZES = { color: 192, outline: 32 };

class Unreadable extends Error {}

function bundledVersions() {
  return fs.readdirSync(SCHEMAS).filter((d) => fs.existsSync(path.join(SCHEMAS, d, "MicrosoftTeams.schema.json")));
}

/** The zip's entries by name, each read on demand (stored or deflated; no zip64, no encryption). */
function openZip(buf) {
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) throw new Unreadable("not a zip file (no end of central directory)");
  const entries = new Map();
  let p = buf.readUInt32LE(end + 16);
  for (let n = buf.readUInt16LE(end + 10); n > 0; n--) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Unreadable("corrupt zip central directory");
    const nameLength = buf.readUInt16LE(p + 28);
    entries.set(buf.toString("utf8", p + 46, p + 46 + nameLength), {
      flags: buf.readUInt16LE(p + 8), method: buf.readUInt16LE(p + 10), size: buf.readUInt32LE(p + 20), offset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLength + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  const read = (name) => {
    const e = entries.get(name);
    if (e.flags & 1) throw new Unreadable(`${name} is encrypted`);
    if (buf.readUInt32LE(e.offset) !== 0x04034b50) throw new Unreadable(`${name}: corrupt local header`);
    const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28);
    const data = buf.subarray(start, start + e.size);
    if (e.method === 0) return Buffer.from(data);
    if (e.method === 8) return zlib.inflateRawSync(data);
    throw new Unreadable(`${name}: compression method ${e.method} is not supported`);
  };
  return { names: [...entries.keys()], read };
}

/** Width, height and whether the PNG can be transparent; null if it is not a PNG. */
function pngHeader(buf) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(signature) || buf.toString("ascii", 12, 16) !== "IHDR") return null;
  const colorType = buf[25];
  let alpha = colorType === 4 || colorType === 6;
  for (let p = 8; !alpha && p + 8 <= buf.length; p += 12 + buf.readUInt32BE(p)) {
    const type = buf.toString("ascii", p + 4, p + 8);
    if (type === "tRNS") alpha = true;
    if (type === "IDAT") break; // tRNS must come before the image data
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), alpha };
}

function checkIcons(manifest, getFile, result) {
  for (const [kind, size] of Object.entries(ICON_SIZES)) {
    const name = manifest.icons && manifest.icons[kind];
    if (typeof name !== "string" || !name) continue; // the schema reports a missing icon
    const data = getFile(name.replace(/^\.\//, ""));
    if (!data) { result.errors.push(`icons.${kind}: "${name}" is neither in the package nor next to the manifest`); continue; }
    const png = pngHeader(data);
    if (!png) { result.errors.push(`icons.${kind}: "${name}" is not a PNG`); continue; }
    if (png.width !== size || png.height !== size)
      result.errors.push(`icons.${kind}: "${name}" is ${png.width}x${png.height}; Teams needs ${size}x${size}`);
    if (kind === "outline" && !png.alpha)
      result.warnings.push(`icons.outline: "${name}" has no transparency (Teams wants white on transparent)`);
  }
}

async function validateManifest(text, result) {
  let manifest;
  try { manifest = JSON.parse(text.replace(/^\uFEFF/, "")); }
  catch (e) { throw new Unreadable(`manifest.json is not JSON: ${e.message}`); }
  const fromSchemaUrl = typeof manifest.$schema === "string" && /\/teams\/(v[^/]+)\/MicrosoftTeams\.schema\.json$/i.exec(manifest.$schema);
  const version = fromSchemaUrl ? fromSchemaUrl[1]
    : manifest.manifestVersion === "devPreview" ? "vDevPreview" : manifest.manifestVersion && `v${manifest.manifestVersion}`;
  if (!version || !bundledVersions().includes(version))
    throw new Unreadable(`no bundled schema for ${version || "a manifest without $schema or manifestVersion"}`);
  result.schema = version;
  // The bundled schema files contain \a and \v escapes, which JSON.parse rejects.
  const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS, version, "MicrosoftTeams.schema.json"), "utf8")
    .replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b"));
  for (const e of await AppManifestUtils.validateAgainstSchema(manifest, schema)) result.errors.push(String(e).replace(/^ /, "(root) "));
  const placeholders = text.match(/\$\{\{[^}]*\}\}/g);
  if (placeholders) result.errors.push(`unfilled placeholders: ${[...new Set(placeholders)].join(" ")}`);
  return manifest;
}

async function validateFile(file) {
  const result = { file, valid: false, schema: null, errors: [], warnings: [] };
  const buf = fs.readFileSync(file);
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) {
    const zip = openZip(buf);
    if (!zip.names.includes("manifest.json")) {
      const nested = zip.names.find((n) => /(^|\/)manifest\.json$/i.test(n));
      result.errors.push(nested ? `manifest.json must be at the root of the zip, not "${nested}"` : "the zip has no manifest.json");
    } else {
      const manifest = await validateManifest(zip.read("manifest.json").toString("utf8"), result);
      checkIcons(manifest, (n) => (zip.names.includes(n) ? zip.read(n) : null), result);
    }
  } else {
    if (/\.zip$/i.test(file)) throw new Unreadable("not a zip file");
    const manifest = await validateManifest(buf.toString("utf8"), result);
    const dir = path.dirname(file);
    checkIcons(manifest, (n) => (fs.existsSync(path.join(dir, n)) ? fs.readFileSync(path.join(dir, n)) : null), result);
  }
  result.valid = result.errors.length === 0;
  return result;
}

async function main() {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const files = args.filter((a) => a !== "--json");
  if (!files.length || files.some((f) => f.startsWith("-"))) {
    console.error(`usage: validate-manifest.js [--json] FILE...   (manifest.json or app package .zip)\nbundled schemas: ${bundledVersions().join(" ")}`);
    return 2;
  }
  let exit = 0;
  const results = [];
  for (const file of files) {
    try {
      const r = await validateFile(file);
      results.push(r);
      if (!r.valid) exit = Math.max(exit, 1);
    } catch (e) {
      results.push({ file, valid: false, schema: null, errors: [`unreadable: ${e.message}`], warnings: [] });
      exit = 2;
    }
  }
  if (json) console.log(JSON.stringify({ files: results }, null, 2));
  else {
    for (const r of results) {
      for (const w of r.warnings) console.log(`${r.file}: warning: ${w}`);
      for (const e of r.errors) console.log(`${r.file}: error: ${e}`);
      console.log(`${r.file}: ${r.valid ? "OK" : "INVALID"}${r.schema ? ` against Teams schema ${r.schema}` : ""}`);
    }
  }
  return exit;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e.stack || e.message); process.exitCode = 2; });
