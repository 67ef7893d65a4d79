// A real `kindling serve` on a fresh SQLite database for the browser tests: users, tokens,
// projects and items are made with the real CLI and HTTP API, the app is served from www/dist.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The CLI built by scripts/test.sh (never built here). */
export const KINDLING_BIN = process.env.KINDLING_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/kindling/target'), process.env.KINDLING_PROFILE ?? 'fast', 'kindling');

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A server process over one database directory; can be killed and started again. */
export class KindlingServer {
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.db = `sqlite://${path.join(dir, 'kindling.db')}`;
    this.base = `http://127.0.0.1:${port}`;
    this.proc = null;
  }

  /** A fresh database in a temporary directory, on a free port (not started). */
  static async create() {
    if (!fs.existsSync(KINDLING_BIN)) throw new Error(`${KINDLING_BIN} is missing: run scripts/test.sh (it builds it)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-e2e-'));
    return new KindlingServer(dir, await freePort());
  }

  /** Runs a CLI command against this database; returns stdout. */
  cli(...args) {
    return execFileSync(KINDLING_BIN, [...args, '--db', this.db], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  /** Adds the user `name` and returns a new token of theirs. */
  user(name) {
    this.cli('admin', 'user-add', name);
    return this.cli('admin', 'token-create', name);
  }

  /** Starts `kindling serve` with the app, and waits for /healthz. */
  async start() {
    this.log = fs.openSync(path.join(this.dir, 'server.log'), 'a');
    this.proc = spawn(KINDLING_BIN, ['serve', '--db', this.db, '--addr', `127.0.0.1:${this.port}`, '--static-dir', path.resolve('www/dist')],
      { stdio: ['ignore', this.log, this.log] });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`kindling serve exited: ${fs.readFileSync(path.join(this.dir, 'server.log'), 'utf8')}`);
      try {
        if ((await fetch(`${this.base}/healthz`)).ok) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('kindling serve did not come up in 30 s');
  }

  /** Kills the server at once (SIGKILL: no graceful shutdown). */
  async kill() {
    if (!this.proc) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
    this.proc = null;
    fs.closeSync(this.log);
  }

  /** Stops the server and removes its database. */
  async destroy() {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** An authenticated JSON request. */
  async api(token, method, route, body, contentType = 'application/json') {
    const response = await fetch(`${this.base}/api/v1${route}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
      body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${text}`);
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return text; // JSONL, CSV
    }
  }

  /** Current labels of a project: item id → export row. */
  async labels(token, project) {
    const response = await fetch(`${this.base}/api/v1/projects/${project}/labels/export?format=jsonl`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`export: HTTP ${response.status}`);
    return (await response.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  /** Every op the server received on an item, with outcomes. */
  async history(token, project, item) {
    return (await this.api(token, 'GET', `/projects/${project}/items/${encodeURIComponent(item)}/history`)).events;
  }
}
