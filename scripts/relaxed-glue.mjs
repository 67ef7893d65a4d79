#!/usr/bin/env node
// Lets a relaxed-SIMD build of the CPU module ship with the SIMD128 build's JS glue.
//
//   node scripts/relaxed-glue.mjs RELAXED_DIR SIMD_GLUE
//
// RELAXED_DIR holds wasm-bindgen's output for the relaxed build (kindling.js, kindling_bg.wasm);
// SIMD_GLUE is the SIMD128 build's kindling.js, the glue that will load the relaxed wasm too.
// wasm-bindgen numbers its generic intrinsics (`__wbindgen_generic_<16 hex digits>`: closures
// made for JS) in the order it meets them in the wasm, and that order can differ between two
// builds of the same code (different target features, different function layout). So:
//   1. every generic intrinsic of the relaxed glue is matched with the SIMD glue's intrinsic of
//      the same body (the same closure shim and conversion) — a bijection, or it fails;
//   2. renamed by that match, the relaxed glue must have the same lines as the SIMD glue, order
//      aside (wasm-bindgen may emit declarations in another order) and the comments naming
//      closure shims by table index aside — or it fails;
//   3. the relaxed wasm's imports of those intrinsics are renamed in place (the names have equal
//      length), so it calls the SIMD glue's functions with the bodies it was built against.
// Exits 1 with the reason when the glues differ otherwise.
import fs from 'node:fs';
import path from 'node:path';

const [dir, simdGluePath] = process.argv.slice(2);
if (!dir || !simdGluePath) {
  console.error('usage: node scripts/relaxed-glue.mjs RELAXED_DIR SIMD_GLUE');
  process.exit(2);
}
const fail = (why) => {
  console.error(`relaxed SIMD build: ${why}`);
  process.exit(1);
};

const GENERIC = /__wbindgen_generic_[0-9a-f]{16}/g;
const COMMENT = /^\s*\/\/ Cast intrinsic/;
const code = (text) => text.split('\n').filter((l) => !COMMENT.test(l));

/** The generic intrinsics of a glue: name → its body (comment lines dropped). */
function generics(text) {
  const out = new Map();
  const entry = /^( +)(__wbindgen_generic_[0-9a-f]{16}): function\(([^)]*)\) \{\n([\s\S]*?)\n\1\},?$/gm;
  for (const m of text.matchAll(entry)) out.set(m[2], `(${m[3]})\n${code(m[4]).join('\n')}`);
  return out;
}

const relaxedGlue = fs.readFileSync(path.join(dir, 'kindling.js'), 'utf8');
const simdGlue = fs.readFileSync(simdGluePath, 'utf8');
const ours = generics(relaxedGlue);
const theirs = generics(simdGlue);
const mentioned = (text) => new Set(text.match(GENERIC) ?? []);
if (ours.size !== mentioned(relaxedGlue).size || theirs.size !== mentioned(simdGlue).size) {
  fail('a generic intrinsic of the glue is not in the form this script reads (wasm-bindgen changed?)');
}
if (ours.size !== theirs.size) fail(`${ours.size} generic intrinsics against ${theirs.size} in ${simdGluePath}`);

// 1. The match, by body.
const rename = new Map();
const taken = new Set();
for (const [name, body] of ours) {
  const match = [...theirs].find(([n, b]) => b === body && !taken.has(n));
  if (!match) fail(`its ${name} (${body.split('\n')[1]?.trim()}) has no counterpart in ${simdGluePath}`);
  rename.set(name, match[0]);
  taken.add(match[0]);
}

// 2. The rest of the glue, renamed, line for line.
const renamed = relaxedGlue.replace(GENERIC, (n) => rename.get(n));
const sorted = (text) => code(text).sort();
const a = sorted(renamed);
const b = sorted(simdGlue);
const differing = a.findIndex((line, i) => line !== b[i]);
if (a.length !== b.length || differing >= 0) {
  fail(`its JS glue differs from ${simdGluePath} beyond the numbering of generic intrinsics (near: ${JSON.stringify(a[differing] ?? b[differing])})`);
}

// 3. The wasm's imports, renamed in place.
const moved = [...rename].filter(([from, to]) => from !== to);
if (moved.length > 0) {
  const wasmPath = path.join(dir, 'kindling_bg.wasm');
  const wasm = fs.readFileSync(wasmPath);
  let renamedImports = 0;
  for (const { start, end, field } of imports(wasm)) {
    const to = rename.get(field);
    if (to === undefined || to === field) continue;
    if (Buffer.byteLength(to) !== end - start) fail(`import ${field}: ${to} has another length`);
    wasm.write(to, start, 'utf8');
    renamedImports += 1;
  }
  if (renamedImports !== moved.length) fail(`renamed ${renamedImports} imports of the wasm, expected ${moved.length}`);
  fs.writeFileSync(wasmPath, wasm);
}
console.log(`relaxed SIMD build: glue matches ${path.basename(path.dirname(simdGluePath))}/${path.basename(simdGluePath)}` +
  (moved.length ? `; ${moved.length} of ${rename.size} generic intrinsic imports renamed to its numbering` : ''));

/** The import section's entries: each field name's byte range. */
function imports(bytes) {
  let at = 8; // magic + version
  const leb = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[at++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return Number(result);
    }
  };
  const name = () => {
    const len = leb();
    const start = at;
    at += len;
    return { start, end: at, text: bytes.toString('utf8', start, at) };
  };
  const limits = () => {
    const flags = bytes[at++];
    leb();
    if (flags & 1) leb();
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const next = at + size;
    if (id !== 2) {
      at = next;
      continue;
    }
    const out = [];
    for (let n = leb(); n > 0; n--) {
      name(); // module
      const field = name();
      const kind = bytes[at++];
      if (kind === 0x00) leb(); // function: type index
      else if (kind === 0x01) { at++; limits(); } // table: reference type, limits
      else if (kind === 0x02) limits(); // memory
      else if (kind === 0x03) at += 2; // global: value type, mutability
      else if (kind === 0x04) { at++; leb(); } // tag: attribute, type index
      else fail(`import ${field.text}: unknown kind ${kind}`);
      out.push({ start: field.start, end: field.end, field: field.text });
    }
    if (at !== next) fail('the import section did not parse to its end');
    return out;
  }
  return [];
}
