// A fault-injecting HTTP proxy on loopback, between the app in Chromium and `kindling serve`:
// with faults on, each `/api/v1` request may be delayed, cut before or after the server saw it,
// answered with a truncated body, answered 500/503 (before or after the server applied it), or
// sent to the server twice. Choices come from a seeded generator (the seed is printed). Requests
// can also be held before they are forwarded, and are counted while held, so a test can prove a
// push is in flight when it kills the server.
import http from 'node:http';

/** The faults, each drawn with equal weight when a request is faulted. */
export const FAULTS = ['latency', 'drop-before', 'drop-after', 'truncate', 'error-before', 'error-after', 'duplicate'];

/** mulberry32: a small seeded generator in [0, 1). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'content-length']);

export class FaultProxy {
  /** Starts a proxy to `target` (e.g. `http://127.0.0.1:8080`) on a free loopback port. */
  static async start(target) {
    const proxy = new FaultProxy(new URL(target));
    await new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.base = `http://127.0.0.1:${proxy.server.address().port}`;
    return proxy;
  }

  constructor(target) {
    this.target = target;
    this.rate = 0;
    this.random = Math.random;
    /** Requests per fault applied, and per path of requests in flight at the server. */
    this.applied = Object.fromEntries(FAULTS.map((f) => [f, 0]));
    this.inFlight = new Map();
    /** `{re, ms}`: requests whose path matches wait `ms` before they are forwarded. */
    this.hold = null;
    /** Requests held right now (sent by the browser, not yet forwarded, not answered). */
    this.holding = 0;
    this.server = http.createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  }

  /** Faults on: each API request is faulted with probability `rate`. Returns the seed used. */
  faults(rate, seed = Math.floor(Math.random() * 2 ** 31)) {
    this.rate = rate;
    this.random = generator(seed);
    return seed;
  }

  /** How many requests whose path matches `re` the server has and has not answered yet. */
  pending(re) {
    let n = 0;
    for (const [p, c] of this.inFlight) if (re.test(p)) n += c;
    return n;
  }

  async handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const api = req.url.startsWith('/api/v1/');
    const fault = api && this.rate > 0 && this.random() < this.rate
      ? FAULTS[Math.floor(this.random() * FAULTS.length)]
      : null;
    if (fault) this.applied[fault] += 1;
    if (fault === 'latency') await sleep(50 + this.random() * 450);
    if (fault === 'drop-before') return void req.socket.destroy();
    if (fault === 'error-before') return void json(res, 503, { code: 'unavailable', message: 'fault proxy: 503 before the server' });
    if (this.hold && this.hold.re.test(req.url)) {
      this.holding += 1;
      await sleep(this.hold.ms).finally(() => { this.holding -= 1; });
    }
    let answer = await this.forward(req, body);
    if (fault === 'duplicate') answer = await this.forward(req, body);
    if (fault === 'drop-after') return void req.socket.destroy();
    if (fault === 'error-after') return void json(res, 500, { code: 'internal', message: 'fault proxy: 500 after the server answered' });
    res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
    if (fault === 'truncate' && answer.body.length > 1) {
      res.write(answer.body.subarray(0, answer.body.length >> 1));
      return void setTimeout(() => req.socket.destroy(), 10);
    }
    res.end(answer.body);
  }

  /** Sends the request to the server and reads the whole answer. */
  forward(req, body) {
    const path = req.url.split('?')[0];
    this.inFlight.set(path, (this.inFlight.get(path) ?? 0) + 1);
    const done = () => this.inFlight.set(path, this.inFlight.get(path) - 1);
    return new Promise((resolve, reject) => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP.has(k)));
      headers.host = this.target.host;
      if (body.length) headers['content-length'] = body.length;
      const out = http.request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (r) => {
        const parts = [];
        r.on('data', (c) => parts.push(c));
        r.on('end', () => {
          done();
          const kept = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !HOP.has(k)));
          resolve({ status: r.statusCode, headers: kept, body: Buffer.concat(parts) });
        });
        r.on('error', (e) => { done(); reject(e); });
      });
      out.on('error', (e) => { done(); reject(e); });
      out.end(body);
    });
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function json(res, status, value) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}
