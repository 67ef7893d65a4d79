// scripts/relaxed-glue.mjs on a hand-made glue pair and wasm: a relaxed build whose generic
// intrinsics wasm-bindgen numbered in another order gets its imports renamed to the SIMD128
// glue's numbering; a glue that differs in anything else is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const name = (n) => `__wbindgen_generic_${String(n).padStart(16, '0')}`;
const shim = (which) => `wasm_bindgen__convert__closures_____invoke___${which}______true_`;

/** A glue in wasm-bindgen's layout whose intrinsic `n` makes a closure over `shims[n - 1]`. */
function glue(shims, extra = '') {
  const entries = shims.map((s, i) => [
    `        ${name(i + 1)}: function(arg0, arg1) {`,
    `            // Cast intrinsic for \`Closure(… shim_idx: ${100 + i} …)\`.`,
    `            const ret = makeMutClosure(arg0, arg1, ${shim(s)});`,
    '            return ret;',
    '        },',
  ].join('\n'));
  const fns = shims.map((s) => `function ${shim(s)}(arg0, arg1, arg2) {\n    wasm.${shim(s)}(arg0, arg1, arg2);\n}\n`);
  return `const imports = {\n    './kindling_bg.js': {\n${entries.join('\n')}\n    },\n};\n${fns.join('\n')}${extra}`;
}

/** A wasm module importing the functions `fields` from './kindling_bg.js' (type `() -> ()`). */
function wasmImporting(fields) {
  const bytes = (s) => [...Buffer.from(s)];
  const vec = (items) => [items.length, ...items.flat()];
  const leb = (n) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >> 7)]);
  const section = (id, body) => [id, ...leb(body.length), ...body];
  const str = (s) => [Buffer.byteLength(s), ...bytes(s)];
  const types = section(1, vec([[0x60, 0, 0]]));
  const imports = section(2, vec(fields.map((f) => [...str('./kindling_bg.js'), ...str(f), 0x00, 0])));
  return Buffer.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...imports]);
}

/** Runs the script on a relaxed build (its glue over `ours`) against a SIMD glue over `theirs`. */
function run(ours, theirs, extra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaxed-glue-'));
  fs.writeFileSync(path.join(dir, 'kindling.js'), glue(ours, extra));
  fs.writeFileSync(path.join(dir, 'kindling_bg.wasm'), wasmImporting(ours.map((_, i) => name(i + 1))));
  fs.writeFileSync(path.join(dir, 'simd.js'), glue(theirs));
  const r = spawnSync('node', ['scripts/relaxed-glue.mjs', dir, path.join(dir, 'simd.js')], { encoding: 'utf8' });
  const wasm = fs.readFileSync(path.join(dir, 'kindling_bg.wasm')).toString('latin1');
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, err: r.stderr, out: r.stdout, imports: wasm.match(/__wbindgen_generic_\d{16}/g) };
}

test('a relaxed build numbering its generic intrinsics differently gets its wasm imports renamed to the SIMD glue\'s', () => {
  // Ours: 1 → JsValue, 2 → JsError, 3 → MessageEvent; theirs: 1 → MessageEvent, 2 → JsValue, 3 → JsError.
  const r = run(['JsValue', 'JsError', 'MessageEvent'], ['MessageEvent', 'JsValue', 'JsError']);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /3 of 3 generic intrinsic imports renamed/);
  // The wasm's import #k now names the SIMD glue's intrinsic that makes the closure it expects.
  assert.deepEqual(r.imports, [name(2), name(3), name(1)]);
});

test('glues numbered alike leave the wasm as it is', () => {
  const r = run(['JsValue', 'JsError'], ['JsValue', 'JsError']);
  assert.equal(r.status, 0, r.err);
  assert.doesNotMatch(r.out, /renamed/);
  assert.deepEqual(r.imports, [name(1), name(2)]);
});

test('a relaxed glue that differs beyond the numbering is refused', () => {
  const other = run(['JsValue', 'JsError'], ['JsValue', 'Other']);
  assert.equal(other.status, 1);
  assert.match(other.err, /has no counterpart/);
  const extra = run(['JsValue', 'JsError'], ['JsError', 'JsValue'], 'function added() {}\n');
  assert.equal(extra.status, 1);
  assert.match(extra.err, /differs from .* beyond the numbering/);
  assert.deepEqual(extra.imports, [name(1), name(2)], 'a refused build keeps its wasm untouched');
});
