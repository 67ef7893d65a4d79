// Prints the raw, gzip -9 and brotli (quality 11) sizes of the given files, with the JS glue
// next to each wasm (what a page downloads for that module):
//   node scripts/wasm-sizes.mjs pkg/kindling_bg.wasm pkg/webgpu/kindling_bg.wasm
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: zlib.gzipSync(bytes, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const mb = (n) => (n / 1e6).toFixed(2).padStart(6);
console.log('module                         raw MB  gzip MB  brotli MB  (wasm + JS glue)');
for (const wasm of process.argv.slice(2)) {
  const glue = ['kindling_bg.js', 'kindling.js'].map((f) => path.join(path.dirname(wasm), f));
  const parts = [wasm, ...glue].filter((f) => fs.existsSync(f)).map((f) => sizes(fs.readFileSync(f)));
  const total = parts.reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }));
  console.log(`${wasm.padEnd(30)} ${mb(total.raw)}  ${mb(total.gzip)}   ${mb(total.brotli)}`);
}
