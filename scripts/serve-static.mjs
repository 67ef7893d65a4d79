// A small static file server for the built front end (www/dist): correct MIME types for wasm,
// no directory escapes. Used by scripts/run.sh and by the end-to-end tests.
// Usage: node scripts/serve-static.mjs DIR [PORT]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bpk': 'application/octet-stream',
  '.kbundle': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/** A webpack output name with a content hash: `app.4ba1774e423b7e9bbc8a.js`, `0a04…c5.module.wasm`. */
const HASHED = /(^|\.)[0-9a-f]{20}\.(js|module\.wasm)$/;

/**
 * Serves `dir` on `port` (0 = any free port); resolves to the running server. With
 * `{ isolated: true }` the pages are cross-origin isolated (COOP/COEP headers), which wasm
 * threads (SharedArrayBuffer) need.
 */
export function serve(dir, port = 0, { isolated = false } = {}) {
  const isolation = isolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        // webpack's content-hashed files never change under their name; the rest revalidate.
        'cache-control': HASHED.test(path.basename(file)) ? 'max-age=31536000, immutable' : 'no-cache',
        ...isolation,
      });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir = 'www/dist', port = '8080'] = process.argv.slice(2);
  const server = await serve(dir, Number(port));
  console.log(`serving ${dir} on http://127.0.0.1:${server.address().port}/`);
}
