// icon.js - PorBot's app icons, drawn from one geometry: a speech bubble with a check mark.
// Both Teams icons come from SYMBOL below: the 192x192 colour icon (white bubble on the accent colour)
// and the 32x32 outline icon (white strokes on transparent). Plain Node (zlib only), no image tools,
// so it runs on any machine that has Node 20+ and gives byte-identical PNGs every time.
//
//   node manifest/icon.js OUT_DIR      writes OUT_DIR/color.png and OUT_DIR/outline.png
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

// Same value as the manifest's accentColor, so the icon tile and Teams' accent match.
const ACCENT = [0x1f, 0x5f, 0xa8];
const WHITE = [255, 255, 255];

// The symbol, in a unit box (x right, y down). The tail reaches well into the bubble, deeper than the
// outline stroke, so the outline shows one continuous contour and no seam where the two shapes meet.
const SYMBOL = {
  bubble: { x0: 0.04, y0: 0.08, x1: 0.96, y1: 0.72, radius: 0.16 },
  tail: [[0.22, 0.6], [0.46, 0.6], [0.16, 0.96]],
  check: [[0.27, 0.4], [0.43, 0.54], [0.73, 0.25]],
};

// --- signed distances (negative inside), in symbol units ---------------------------------------
function roundedRect(px, py, { x0, y0, x1, y1, radius }) {
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const qx = Math.abs(px - cx) - ((x1 - x0) / 2 - radius);
  const qy = Math.abs(py - cy) - ((y1 - y0) / 2 - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
}

function polygon(px, py, points) {
  let best = Infinity, inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [ax, ay] = points[j], [bx, by] = points[i];
    best = Math.min(best, segmentDistance(px, py, ax, ay, bx, by));
    if ((ay > py) !== (by > py) && px < ((bx - ax) * (py - ay)) / (by - ay) + ax) inside = !inside;
  }
  return inside ? -best : best;
}

function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

const bubble = (x, y) => Math.min(roundedRect(x, y, SYMBOL.bubble), polygon(x, y, SYMBOL.tail));

function checkMark(x, y, halfWidth) {
  const [a, b, c] = SYMBOL.check;
  return Math.min(segmentDistance(x, y, ...a, ...b), segmentDistance(x, y, ...b, ...c)) - halfWidth;
}

// --- the two variants: layers painted in order, each a colour and an "inside" test -------------
const VARIANTS = {
  color: {
    size: 192,
    // The symbol sits in the middle ~60%: Teams crops the colour icon to a rounded tile.
    symbolBox: { offset: 0.2, scale: 0.6 },
    layers: [
      { rgb: ACCENT, inside: () => true },
      { rgb: WHITE, inside: (x, y) => bubble(x, y) <= 0 },
      { rgb: ACCENT, inside: (x, y) => checkMark(x, y, 0.055) <= 0 },
    ],
  },
  outline: {
    size: 32,
    // One pixel of margin; strokes about 2 px wide, as Teams' outline icons are.
    symbolBox: { offset: 1 / 32, scale: 30 / 32 },
    layers: [
      { rgb: WHITE, inside: (x, y) => { const d = bubble(x, y); return d <= 0 && d >= -0.075; } },
      { rgb: WHITE, inside: (x, y) => checkMark(x, y, 0.042) <= 0 },
    ],
  },
};

/** RGBA pixels of a variant: each layer's coverage from 8x8 samples per pixel, composited "over". */
function rasterize({ size, symbolBox, layers }) {
  const samples = 8;
  const rgba = new Float64Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (const layer of layers) {
        let hits = 0;
        for (let sy = 0; sy < samples; sy++) {
          for (let sx = 0; sx < samples; sx++) {
            const ux = (px + (sx + 0.5) / samples) / size, uy = (py + (sy + 0.5) / samples) / size;
            const x = (ux - symbolBox.offset) / symbolBox.scale, y = (uy - symbolBox.offset) / symbolBox.scale;
            if (layer.inside(x, y)) hits++;
          }
        }
        const la = hits / (samples * samples);
        if (la === 0) continue;
        const outA = la + a * (1 - la);
        r = (layer.rgb[0] * la + r * a * (1 - la)) / outA;
        g = (layer.rgb[1] * la + g * a * (1 - la)) / outA;
        b = (layer.rgb[2] * la + b * a * (1 - la)) / outA;
        a = outA;
      }
      rgba.set([r, g, b, a * 255], (py * size + px) * 4);
    }
  }
  return Uint8Array.from(rgba, (v) => Math.round(v));
}

// --- PNG encoder: 8-bit RGBA (colour type 6), no filtering ------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf, crc = 0) {
  let c = ~crc >>> 0;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, RGBA, deflate, no filter method variants, no interlace
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) raw.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(raw, { level: 9 })),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** { "color.png": Buffer, "outline.png": Buffer } */
function makeIcons() {
  return Object.fromEntries(Object.entries(VARIANTS).map(([name, v]) => [`${name}.png`, encodePng(v.size, rasterize(v))]));
}

module.exports = { makeIcons, crc32 };

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir || outDir.startsWith("-")) {
    console.error("usage: node manifest/icon.js OUT_DIR   (writes color.png and outline.png)");
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, png] of Object.entries(makeIcons())) {
    fs.writeFileSync(path.join(outDir, name), png);
    console.log(path.join(outDir, name));
  }
}
