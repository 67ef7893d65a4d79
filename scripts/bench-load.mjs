#!/usr/bin/env node
// Load benchmark (numbers, not a test): N simulated annotators lease, label (push) and pull
// against `kindling serve` for a fixed time, and the result is checked afterwards: every label
// an annotator's push had acknowledged is on the server exactly once, and the server's labels
// equal the replay of its history (`kindling admin verify-history`).
//
//   node scripts/bench-load.mjs sqlite                      # one API process (runs jobs too)
//   node scripts/bench-load.mjs postgres                    # 2 API processes (--no-jobs) behind
//                                                           # a round-robin proxy + 1 worker;
//                                                           # one API process is killed and
//                                                           # restarted half-way
//   --annotators 200 --seconds 300 --think-ms 1000         # defaults
//
// PostgreSQL: a private server from scripts/postgres.sh (started here). Each annotator follows
// the sync protocol like the app: one client id, consecutive seqs, an outbox re-sent until
// acknowledged (a failed push keeps its ops), pulls with a cursor.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KINDLING_BIN } from '../tests/e2e/kindling-server.mjs';

const args = process.argv.slice(2);
const kind = args[0] ?? 'sqlite';
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ANNOTATORS = opt('annotators', 200);
const SECONDS = opt('seconds', 300);
const THINK_MS = opt('think-ms', 1000);
const ITEMS = opt('items', 65000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-load-'));
let db;
if (kind === 'postgres') {
  const base = execFileSync('scripts/postgres.sh', ['start'], { encoding: 'utf8' }).trim();
  const name = `load_${process.pid}`;
  const admin = base.replace(/\/[^/]+$/, '/postgres');
  execFileSync('psql', [admin, '-q', '-c', `DROP DATABASE IF EXISTS ${name}`, '-c', `CREATE DATABASE ${name}`]);
  db = base.replace(/\/[^/]+$/, `/${name}`);
} else {
  db = `sqlite://${path.join(dir, 'k.db')}`;
}
const cli = (...a) => execFileSync(KINDLING_BIN, [...a, '--db', db], { encoding: 'utf8' }).trim();

console.log(`setting up ${ANNOTATORS} annotators and ${ITEMS} items on ${kind}…`);
cli('admin', 'user-add', 'owner');
const ownerToken = cli('admin', 'token-create', 'owner');
cli('admin', 'project-create', '--id', 'load', '--name', 'Load', '--task', 'text', '--labels', 'ham,spam', '--owner', 'owner');
const texts = path.join(dir, 'texts.jsonl');
fs.writeFileSync(texts, Array.from({ length: ITEMS }, (_, i) => JSON.stringify({ id: `t${i}`, text: `message number ${i} with a few words` })).join('\n'));
cli('admin', 'import', '--project', 'load', '--data', texts);
const tokens = [];
for (let a = 0; a < ANNOTATORS; a++) {
  cli('admin', 'user-add', `a${a}`);
  cli('admin', 'member-set', '--project', 'load', '--user', `a${a}`, '--role', 'annotator');
  tokens.push(cli('admin', 'token-create', `a${a}`));
}

async function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A `kindling serve` (or `worker`) process that can be killed and started again. */
class Proc {
  constructor(args, port) {
    this.args = args;
    this.port = port;
  }
  async start() {
    this.proc = spawn(KINDLING_BIN, this.args, { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, `p${this.port ?? 'w'}.log`), 'a')] });
    if (!this.port) return;
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`kindling ${this.args.join(' ')} did not come up`);
  }
  kill() {
    this.proc.kill('SIGKILL');
  }
}

const apis = [];
const apiCount = kind === 'postgres' ? 2 : 1;
for (let i = 0; i < apiCount; i++) {
  const port = await freePort();
  const extra = kind === 'postgres' ? ['--no-jobs'] : [];
  // The benchmark's annotators all come from 127.0.0.1; a bad token is not part of the load.
  apis.push(new Proc(['serve', '--db', db, '--addr', `127.0.0.1:${port}`, '--max-connections', '1024', ...extra], port));
}
for (const a of apis) await a.start();
const worker = kind === 'postgres' ? new Proc(['worker', '--db', db]) : null;
await worker?.start();

// A round-robin proxy in front of the API processes; a request that finds its backend down
// goes to the next one (as a load balancer's health check would arrange).
let turn = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const balancer = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const attempt = (left) => {
      const backend = apis[turn++ % apis.length];
      const out = http.request({ host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      out.on('error', () => (left > 0 ? attempt(left - 1) : res.destroy()));
      out.end(body);
    };
    attempt(apis.length);
  });
});
await new Promise((r) => balancer.listen(0, '127.0.0.1', r));
const BASE = `http://127.0.0.1:${balancer.address().port}/api/v1/projects/load`;

const latencies = { lease: [], push: [], pull: [] };
const errors = { lease: 0, push: 0, pull: 0 };
/** Failed requests by route, status and error code. */
const failures = new Map();
const fail = (route, what) => {
  errors[route] += 1;
  failures.set(`${route} ${what}`, (failures.get(`${route} ${what}`) ?? 0) + 1);
};
const clientAgent = new http.Agent({ keepAlive: true, maxSockets: ANNOTATORS * 2 });

/** One request through the balancer; records its latency (ms) under `route`. */
function call(route, method, url, token, body) {
  return new Promise((resolve) => {
    const data = body ? Buffer.from(JSON.stringify(body)) : null;
    const started = performance.now();
    const req = http.request(url, { method, agent: clientAgent, headers: { authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const ms = performance.now() - started;
        let json = null;
        try { json = JSON.parse(Buffer.concat(parts).toString()); } catch { /* not JSON */ }
        if (res.statusCode === 200) latencies[route].push(ms);
        else fail(route, `${res.statusCode} ${json?.code ?? ''}`);
        resolve({ status: res.statusCode, json });
      });
      res.on('error', () => { fail(route, 'connection'); resolve({ status: 0 }); });
    });
    req.on('error', () => { fail(route, 'connection'); resolve({ status: 0 }); });
    if (data) req.write(data);
    req.end();
  });
}

const deadline = Date.now() + SECONDS * 1000;
const acked = new Map(); // `${annotator}|${item}` → class
let labelsMade = 0;

async function annotator(a) {
  const token = tokens[a];
  const client = `load-${a}`;
  let seq = 0;
  let outbox = [];
  let cursor = 0;
  let lastPull = 0;
  const push = async () => {
    if (outbox.length === 0) return;
    const ops = outbox.slice(0, 100);
    const r = await call('push', 'POST', `${BASE}/sync/push`, token, { client_id: client, epoch: '', ops });
    if (r.status === 200) {
      for (const res of r.json.results) {
        const op = ops.find((o) => o.seq === res.seq);
        if (op && res.op_id === op.op_id && (res.outcome === 'applied' || res.outcome === 'duplicate')) acked.set(`${a}|${op.item_id}`, op.value.class);
      }
      outbox = outbox.filter((o) => o.seq > r.json.acked_seq);
    }
  };
  while (Date.now() < deadline) {
    const lease = await call('lease', 'POST', `${BASE}/leases`, token, { limit: 20 });
    const items = lease.status === 200 ? lease.json.items : [];
    if (items.length === 0) await new Promise((r) => setTimeout(r, THINK_MS));
    for (const item of items) {
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + Math.random())));
      seq += 1;
      const cls = Math.random() < 0.5 ? 'ham' : 'spam';
      outbox.push({ seq, op_id: `${client}:${seq}`, item_id: item.id, kind: 'upsert', value: { class: cls }, hlc: { wall: Date.now(), counter: 0 } });
      labelsMade += 1;
      await push();
      if (Date.now() - lastPull > 5000) {
        const r = await call('pull', 'GET', `${BASE}/sync/pull?cursor=${cursor}`, token);
        if (r.status === 200) cursor = r.json.next_cursor;
        lastPull = Date.now();
      }
    }
  }
  // Drain: re-send what is left until acknowledged (the killed process is back by now).
  for (let i = 0; i < 50 && outbox.length > 0; i++) {
    await push();
    if (outbox.length) await new Promise((r) => setTimeout(r, 200));
  }
  return outbox.length;
}

console.log(`${ANNOTATORS} annotators for ${SECONDS} s (think time ~${THINK_MS} ms) against ${apiCount} API process(es)${worker ? ' + 1 worker' : ''} on ${kind}`);
const started = Date.now();
const killer = apiCount > 1 ? (async () => {
  await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
  console.log(`t=${((Date.now() - started) / 1000).toFixed(0)} s: killing API process 2 (SIGKILL)`);
  apis[1].kill();
  await new Promise((r) => setTimeout(r, 5000));
  await apis[1].start();
  console.log(`t=${((Date.now() - started) / 1000).toFixed(0)} s: API process 2 restarted`);
})() : Promise.resolve();
const left = await Promise.all(Array.from({ length: ANNOTATORS }, (_, a) => annotator(a)));
await killer;
const elapsed = (Date.now() - started) / 1000;

const q = (xs, p) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1) : '–';
};
console.log(`\n| route | requests ok | errors | req/s | p50 ms | p95 ms | p99 ms |`);
console.log('|---|---|---|---|---|---|---|');
for (const route of ['push', 'pull', 'lease']) {
  const xs = latencies[route];
  console.log(`| ${route} | ${xs.length} | ${errors[route]} | ${(xs.length / elapsed).toFixed(1)} | ${q(xs, 0.5)} | ${q(xs, 0.95)} | ${q(xs, 0.99)} |`);
}

if (failures.size) console.log(`failures: ${JSON.stringify(Object.fromEntries(failures))}`);

// Verify: every acknowledged label is on the server, once, with its class.
const exported = await fetch(`${BASE}/labels/export`, { headers: { authorization: `Bearer ${ownerToken}` } }).then((r) => r.text());
const rows = exported.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const onServer = new Map();
let duplicates = 0;
for (const r of rows) {
  const key = `${r.annotator.slice(1)}|${r.item_id}`;
  if (onServer.has(key)) duplicates += 1;
  onServer.set(key, r.label);
}
let missing = 0;
let wrong = 0;
for (const [key, cls] of acked) {
  if (!onServer.has(key)) missing += 1;
  else if (onServer.get(key) !== cls) wrong += 1;
}
const unsent = left.reduce((x, y) => x + y, 0);
const verify = cli('admin', 'verify-history', '--project', 'load');
console.log(`\n${labelsMade} labels made, ${acked.size} acknowledged, ${unsent} still unsent at the end; on the server: ${rows.length} rows, ${missing} acknowledged labels missing, ${wrong} with another class, ${duplicates} duplicated`);
console.log(`history: ${verify}`);

balancer.close();
for (const a of apis) a.kill();
worker?.kill();
if (missing || wrong || duplicates) {
  console.error('FAILED: labels lost or duplicated');
  process.exit(1);
}
if (failures.size) console.log(`server logs kept in ${dir}`);
else fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
