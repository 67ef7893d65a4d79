// Loop latency benchmark (prints numbers; not a test): a real `kindling serve` on SQLite with a
// Fashion-MNIST project (2,000 items, no model yet), N labels with their true classes pushed
// through the sync API, a labeling page open in Debian's Chromium; then "train" is triggered
// and the time is taken until the new version is suggesting in the open page.
// Usage: node scripts/bench-loop.mjs [labels=500] [epochs=10]   (after scripts/test.sh or run.sh builds)
import { execFileSync } from 'node:child_process';
import { launchChromium, signIn } from '../tests/e2e/browser.mjs';
import { KindlingServer } from '../tests/e2e/kindling-server.mjs';

const LABELS = Number(process.argv[2] ?? 500);
const EPOCHS = Number(process.argv[3] ?? 10);
const CLASSES = 'T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot';

const server = await KindlingServer.create();
server.cli('admin', 'user-add', 'olga');
const token = server.cli('admin', 'token-create', 'olga');
server.cli('admin', 'project-create', '--id', 'fashion', '--name', 'Fashion', '--labels', CLASSES, '--owner', 'olga');
server.cli('admin', 'import', '--project', 'fashion', '--data', 'fashion-mnist', '--limit', '2000');
// The simulated labeler knows the truth: read it from the database the import wrote.
const truth = JSON.parse(execFileSync('python3', ['-c',
  'import json,sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(json.dumps(c.execute("SELECT id, true_label FROM items ORDER BY seq").fetchall()))',
  server.db.replace('sqlite://', '')], { encoding: 'utf8' }));
await server.start();
const ops = truth.slice(0, LABELS).map(([id, cls], i) => ({ seq: i + 1, op_id: `bench-${id}`, item_id: id, kind: 'upsert', value: { class: cls }, hlc: { wall: 1000 + i, counter: 0 } }));
await server.api(token, 'POST', '/projects/fashion/sync/push', { client_id: 'bench', epoch: '', ops });

const browser = await launchChromium();
const page = await browser.newPage();
await signIn(page, server.base, token);
await page.goto(`${server.base}/?device=cpu#/p/fashion/label`);
await page.waitForFunction(() => /No model published/.test(document.querySelector('#model-info')?.textContent ?? ''));

const t0 = Date.now();
const job = await server.api(token, 'POST', '/projects/fashion/jobs', { epochs: EPOCHS });
let done;
for (;;) {
  done = await server.api(token, 'GET', `/projects/fashion/jobs/${job.id}`);
  if (!['queued', 'running'].includes(done.status)) break;
  await new Promise((r) => setTimeout(r, 100));
}
const t1 = Date.now();
await page.waitForFunction(() => window.kindlingApp?.modelVersion() === '1', null, { timeout: 60_000 });
await page.waitForFunction(() => /%/.test(document.querySelector('#suggestion')?.textContent ?? ''), null, { timeout: 60_000 });
const t2 = Date.now();
console.log(`| Fashion-MNIST, ${LABELS} labels (${done.result?.label_count} trained on, ${done.result?.eval_count} evaluation), ${EPOCHS} epochs max | ${done.status}: v${done.result?.version}, eval accuracy ${(100 * (done.result?.eval_accuracy ?? 0)).toFixed(1)}% | trigger → job done ${((t1 - t0) / 1000).toFixed(1)} s | → suggesting in the open page ${((t2 - t1) / 1000).toFixed(1)} s | total ${((t2 - t0) / 1000).toFixed(1)} s |`);
await browser.close();
await server.destroy();
