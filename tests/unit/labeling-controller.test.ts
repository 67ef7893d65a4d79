// The labeling session without the DOM: key-press order, what a label records, undo/skip, the
// refresh timer (fake timers), the local head's one-fit-at-a-time rule, storage full, offline
// model loading, and that a closed session neither draws nor starts anything.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClassScore, LabelValue, Uncertainty } from 'kindling';
import { NetworkError } from '../../www/app/api';
import { QuotaError } from '../../www/app/errors';
import {
  HOLD_LOW, HOLD_TARGET, LOCAL_MIN, LabelingController, REFRESH_MS, keyAction,
  type LabelingScreen, type ModelRunner, type Ranker,
} from '../../www/app/labeling-controller';
import type { LoadedModel, LocalLabel, PredictItem, WorkerPrediction } from '../../www/app/predictions';
import type { StoredItem } from '../../www/app/store';

const LABELS = ['cat', 'dog', 'bird'];
const PROJECT = { id: 'p1', name: 'Pets', task: 'image' as const, labels: LABELS, role: 'annotator' as const };

/** Lets pending promise callbacks run (setImmediate stays real under the fake timers). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A promise resolved from outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

function item(id: string, order: number): StoredItem {
  return { project: PROJECT.id, id, kind: 'image', content_type: 'image/png', content: new Uint8Array([order]), order, leased_until: 0 };
}

function prediction(id: string, cls: number, p: number): WorkerPrediction {
  const topK: ClassScore[] = [{ index: cls, label: LABELS[cls]!, probability: p }];
  const uncertainty: Uncertainty = { leastConfidence: 1 - p, margin: p, entropy: 0 };
  return { id, topK, uncertainty };
}

/** Records what the session shows. */
class FakeScreen implements LabelingScreen {
  calls = 0;
  shown: string | null = null;
  empty = '';
  suggestion: string | undefined;
  error = '';
  modelInfo = '';
  fatalMessage = '';
  private hit(): void { this.calls++; }
  showItem(i: StoredItem | null, emptyMessage: string): void { this.hit(); this.shown = i?.id ?? null; this.empty = emptyMessage; }
  preload(): void { this.hit(); }
  showSuggestion(topK: ClassScore[] | undefined): void { this.hit(); this.suggestion = topK?.[0]?.label; }
  showQueueInfo(): void { this.hit(); }
  showRecent(): void { this.hit(); }
  showModelInfo(text: string): void { this.hit(); this.modelInfo = text; }
  showModelProgress(): void { this.hit(); }
  showOfflineReserve(): void { this.hit(); }
  showError(text: string): void { this.hit(); this.error = text; }
  fatal(message: string): void { this.hit(); this.fatalMessage = message; }
}

/** The sync engine: labels land in `labels` once `gate` (if set) resolves. */
class FakeSync {
  labels: Record<string, LabelValue | null> = {};
  writes: [string, LabelValue | null][] = [];
  gate: Promise<void> | null = null;
  failWith: Error | null = null;
  changed: (() => void)[] = [];
  versions: ((v: string) => void)[] = [];
  visibleAll() { return { ...this.labels }; }
  onLabelsChanged(l: () => void) { this.changed.push(l); return () => { this.changed = this.changed.filter((x) => x !== l); }; }
  onModelVersion(l: (v: string) => void) { this.versions.push(l); return () => { this.versions = this.versions.filter((x) => x !== l); }; }
  async label(id: string, value: LabelValue) {
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    this.labels[id] = value;
    this.writes.push([id, value]);
  }
  async remove(id: string) { this.labels[id] = null; this.writes.push([id, null]); }
}

/** The worker: `predict` answers every item from `answer`; local fits wait for `fitGate`. */
class FakeInference implements ModelRunner {
  model: LoadedModel | null = null;
  loads: string[] = [];
  predicted: string[][] = [];
  fits: LocalLabel[][] = [];
  fitGate: Promise<void> | null = null;
  answer = (id: string) => prediction(id, 0, 0.9);
  async load(_base: string, _token: string, _device: unknown, version: string): Promise<LoadedModel> {
    this.loads.push(version);
    this.model = { version, device: 'cpu-simd', fallbackReason: null, threads: 1, threadsFallbackReason: null, labels: LABELS, backbone: this.withBackbone ? 'abc' : null };
    return this.model;
  }
  withBackbone = false;
  async predict(items: PredictItem[], onBatch: (r: WorkerPrediction[], v: string) => void) {
    this.predicted.push(items.map((i) => i.id));
    onBatch(items.map((i) => this.answer(i.id)), this.model!.version);
  }
  async local(labeled: LocalLabel[], items: PredictItem[], onFitted: (n: number, ms: number) => void, onBatch: (r: WorkerPrediction[], v: string) => void) {
    this.fits.push(labeled);
    if (this.fitGate) await this.fitGate;
    onFitted(labeled.length, 5);
    onBatch(items.map((i) => prediction(i.id, 1, 0.6)), `local:${this.model!.version}`);
  }
  async scratch(): Promise<void> { throw new Error('not a text project'); }
}

/** Most uncertain first, unpredicted after, in lease order (a stand-in for the runtime's rankQueue). */
const byUncertainty: Ranker = (ids, u) => {
  const predicted = ids.filter((id) => u.has(id)).sort((a, b) => u.get(b)!.leastConfidence - u.get(a)!.leastConfidence);
  return [...predicted, ...ids.filter((id) => !u.has(id))];
};

interface World {
  controller: LabelingController;
  screen: FakeScreen;
  sync: FakeSync;
  inference: FakeInference;
  meta: Map<string, unknown>;
  server: { current: string | null; offline: boolean; modelCalls: number; leased: number[]; leaseItems: StoredItem[] };
}

function world(items: StoredItem[], opts: { current?: string | null; firstItem?: string } = {}): World {
  const screen = new FakeScreen();
  const sync = new FakeSync();
  const inference = new FakeInference();
  const meta = new Map<string, unknown>();
  const held = [...items];
  const server = { current: opts.current === undefined ? '1' : opts.current, offline: false, modelCalls: 0, leased: [] as number[], leaseItems: [] as StoredItem[] };
  const controller = new LabelingController({
    project: PROJECT,
    server: {
      currentModel: async () => {
        server.modelCalls++;
        if (server.offline) throw new NetworkError('offline');
        return server.current;
      },
      lease: async (limit) => {
        server.leased.push(limit);
        return server.offline ? [] : server.leaseItems.splice(0, limit);
      },
      modelBase: (v) => `/models/${v}/`,
      token: () => 't',
    },
    store: {
      items: async () => held,
      getMeta: async <T>(key: string) => meta.get(key) as T | undefined,
      setMeta: async (key, value) => { meta.set(key, value); },
      putItems: async (more) => { held.push(...more); },
    },
    sync,
    inference,
    screen,
    rank: byUncertainty,
    device: 'cpu',
    strategy: 'least-confidence',
    firstItem: opts.firstItem ?? null,
  });
  return { controller, screen, sync, inference, meta, server };
}

/** HOLD_LOW items or more, so no lease is asked for unless a test wants one. */
function enough(n = HOLD_LOW): StoredItem[] {
  return Array.from({ length: n }, (_, i) => item(`i${i}`, i));
}

beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
afterEach(() => mock.timers.reset());

test('keys: 1–9 and 0 pick classes that exist; Enter, Backspace/z, s and ? have their actions', () => {
  assert.deepEqual(keyAction('1', 3), { kind: 'label', index: 0 });
  assert.deepEqual(keyAction('3', 3), { kind: 'label', index: 2 });
  assert.equal(keyAction('4', 3), null);
  assert.deepEqual(keyAction('0', 10), { kind: 'label', index: 9 });
  assert.equal(keyAction('0', 9), null);
  assert.deepEqual(keyAction('Enter', 3), { kind: 'accept' });
  assert.deepEqual(keyAction('Backspace', 3), { kind: 'undo' });
  assert.deepEqual(keyAction('z', 3), { kind: 'undo' });
  assert.deepEqual(keyAction('s', 3), { kind: 'skip' });
  assert.deepEqual(keyAction('?', 3), { kind: 'help' });
  assert.equal(keyAction('x', 3), null);
});

test('the first item shows, then the model loads and the queue is ranked by its predictions', async () => {
  const w = world(enough());
  w.inference.answer = (id) => prediction(id, 0, id === 'i7' ? 0.4 : 0.9);
  await w.controller.start();
  assert.equal(w.screen.shown, 'i0');
  await settle();
  assert.deepEqual(w.inference.loads, ['1']);
  assert.equal(w.inference.predicted[0]![0], 'i0', 'the item on screen is predicted first');
  assert.equal(w.screen.suggestion, 'cat');
  assert.equal(await w.controller.label(1), true);
  assert.equal(w.screen.shown, 'i7', 'the least certain item comes next');
  w.controller.close();
});

test('a key press labels the item that was on screen, in press order, while an earlier label is still being written', async () => {
  const w = world(enough());
  await w.controller.start();
  await settle();
  const gate = deferred();
  w.sync.gate = gate.promise;
  const first = w.controller.label(0); // i0 on screen
  const second = w.controller.label(2); // still i0 on screen: the first write has not finished
  await settle();
  assert.equal(w.sync.writes.length, 0, 'nothing is shown as done before it is durable');
  assert.equal(w.screen.shown, 'i0');
  gate.resolve();
  assert.deepEqual(await Promise.all([first, second]), [true, true]);
  assert.deepEqual(w.sync.writes.map(([id, v]) => [id, v?.class]), [['i0', 'cat'], ['i0', 'bird']]);
  assert.equal(w.screen.shown, 'i1', 'the second press does not skip the next item');
  w.controller.close();
});

test('a label records the suggestion and the version that made it; predictions of another version are ignored', async () => {
  const w = world(enough());
  await w.controller.start();
  await settle();
  assert.equal(await w.controller.label(1), true);
  assert.deepEqual(w.sync.labels['i0'], { class: 'dog', suggestion: 'cat', model_version: '1', accepted: false });
  assert.equal(await w.controller.accept(), true);
  assert.deepEqual(w.sync.labels['i1'], { class: 'cat', suggestion: 'cat', model_version: '1', accepted: true });
  // Version 2 arrives; a late batch of version 1's predictions must not become its suggestions.
  w.server.current = '2';
  w.inference.predict = async (items, onBatch) => onBatch(items.map((i) => prediction(i.id, 2, 0.99)), '1');
  w.sync.versions.forEach((l) => l('2'));
  await settle();
  assert.equal(w.controller.probe().predVersion(), '2');
  assert.equal(w.controller.probe().suggestion('i5'), undefined);
  assert.equal(w.screen.suggestion, undefined);
  await w.controller.label(0);
  assert.deepEqual(w.sync.labels['i2'], { class: 'cat' }, 'no suggestion recorded');
  w.controller.close();
});

test('accept without a suggestion says so and labels nothing', async () => {
  const w = world(enough(), { current: null });
  await w.controller.start();
  await settle();
  assert.equal(await w.controller.accept(), false);
  assert.match(w.screen.error, /No suggestion to accept/);
  assert.deepEqual(w.sync.writes, []);
  w.controller.close();
});

test('undo removes the last label and shows its item again; skip moves the item to the end', async () => {
  const items = [item('a', 0), item('b', 1), item('c', 2)];
  const w = world(items, { current: null });
  await w.controller.start();
  await settle();
  await w.controller.label(0);
  assert.equal(w.screen.shown, 'b');
  assert.equal(await w.controller.undo(), true);
  assert.equal(w.screen.shown, 'a');
  assert.equal(w.sync.labels['a'], null);
  assert.equal(await w.controller.skip(), true);
  assert.equal(w.screen.shown, 'b');
  await w.controller.label(1);
  await w.controller.label(1);
  assert.equal(w.screen.shown, 'a', 'the skipped item comes last');
  await w.controller.label(1);
  assert.equal(w.screen.shown, null);
  assert.match(w.screen.empty, /All held items are labeled/);
  assert.equal(await w.controller.undo(), true);
  assert.equal(await w.controller.undo(), true);
  assert.equal(await w.controller.undo(), true);
  assert.equal(await w.controller.undo(), false);
  assert.match(w.screen.error, /Nothing to undo/);
  w.controller.close();
});

test('storage full: the person is told, the label is not counted and the item stays on screen', async () => {
  const w = world(enough());
  await w.controller.start();
  await settle();
  w.sync.failWith = new QuotaError('the browser has no storage left');
  assert.equal(await w.controller.label(0), false);
  assert.match(w.screen.fatalMessage, /no storage left/);
  assert.equal(w.screen.shown, 'i0');
  assert.equal(w.controller.probe().visible('i0'), undefined);
  w.sync.failWith = null;
  assert.equal(await w.controller.label(0), true, 'labeling goes on once there is space');
  w.controller.close();
});

test('every REFRESH_MS the session checks for a model and tops up; closed, it stops and draws nothing', async () => {
  const w = world(enough(HOLD_LOW - 1), { current: null });
  await w.controller.start();
  await settle();
  assert.equal(w.server.modelCalls, 1);
  assert.deepEqual(w.server.leased, [HOLD_TARGET - (HOLD_LOW - 1)]);
  mock.timers.tick(REFRESH_MS - 1);
  await settle();
  assert.equal(w.server.modelCalls, 1);
  mock.timers.tick(1);
  await settle();
  assert.equal(w.server.modelCalls, 2);
  assert.equal(w.server.leased.length, 2);
  w.controller.close();
  const drawn = w.screen.calls;
  let refreshes = 0;
  w.controller.refresh = async () => { refreshes++; };
  mock.timers.tick(REFRESH_MS * 3);
  await settle();
  assert.equal(refreshes, 0, 'the timer is gone');
  assert.equal(w.server.modelCalls, 2, 'no refresh after close');
  w.sync.labels['i0'] = { class: 'cat' };
  w.sync.changed.forEach((l) => l());
  assert.equal(w.sync.changed.length, 0, 'listeners are removed');
  assert.equal(await w.controller.label(0), false, 'a closed session labels nothing');
  assert.equal(w.screen.calls, drawn, 'nothing drawn after close');
});

test('a model load that finishes after close draws nothing', async () => {
  const w = world(enough());
  const gate = deferred();
  const load = w.inference.load.bind(w.inference);
  w.inference.load = async (...args) => { await gate.promise; return load(...args); };
  await w.controller.start();
  await settle();
  w.controller.close();
  const drawn = w.screen.calls;
  gate.resolve();
  await settle();
  assert.equal(w.screen.calls, drawn);
  assert.deepEqual(w.inference.predicted, [], 'no prediction starts after close');
});

test('the lease fills an empty session and shows its first item', async () => {
  const w = world([], { current: null });
  w.server.leaseItems = [item('n1', 0), item('n2', 1)];
  await w.controller.start();
  assert.match(w.screen.empty, /No items held yet/);
  await settle();
  assert.deepEqual(w.server.leased, [HOLD_TARGET]);
  assert.equal(w.screen.shown, 'n1');
  w.controller.close();
});

test('offline, the session loads the model version it saw last', async () => {
  const w = world(enough());
  w.meta.set(`model:${PROJECT.id}`, '4');
  w.server.offline = true;
  await w.controller.start();
  await settle();
  assert.deepEqual(w.inference.loads, ['4']);
  w.controller.close();
});

test('a new version reported by a pull is loaded at once and its suggestions replace the old ones', async () => {
  const w = world(enough());
  await w.controller.start();
  await settle();
  assert.equal(w.controller.probe().predVersion(), '1');
  w.server.current = '2';
  w.inference.answer = (id) => prediction(id, 2, 0.8);
  w.sync.versions.forEach((l) => l('2'));
  await settle();
  assert.deepEqual(w.inference.loads, ['1', '2']);
  assert.equal(w.controller.probe().predVersion(), '2');
  assert.equal(w.screen.suggestion, 'bird');
  w.controller.close();
});

test(`the local head fits from ${LOCAL_MIN} labels of two classes, one fit at a time, again when labels changed meanwhile`, async () => {
  const w = world(enough());
  w.inference.withBackbone = true;
  await w.controller.start();
  await settle();
  for (let i = 0; i < LOCAL_MIN - 1; i++) await w.controller.label(i % 2);
  await settle();
  assert.equal(w.inference.fits.length, 0, 'too few labels');
  const gate = deferred();
  w.inference.fitGate = gate.promise;
  await w.controller.label(0);
  await settle();
  assert.equal(w.inference.fits.length, 1);
  assert.equal(w.inference.fits[0]!.length, LOCAL_MIN);
  await w.controller.label(1);
  await w.controller.label(1);
  await settle();
  assert.equal(w.inference.fits.length, 1, 'no second fit while one runs');
  gate.resolve();
  w.inference.fitGate = null;
  await settle();
  assert.equal(w.inference.fits.length, 2, 'one more fit for the labels made meanwhile');
  assert.equal(w.inference.fits[1]!.length, LOCAL_MIN + 2);
  assert.equal(w.controller.probe().predVersion(), 'local:1');
  assert.equal(w.controller.probe().localHead(), LOCAL_MIN + 2);
  assert.match(w.screen.modelInfo, /learning from your labels \(6, fitted in 5 ms\)/);
  await w.controller.label(0);
  assert.deepEqual(w.sync.labels[w.sync.writes.at(-1)![0]], { class: 'cat', suggestion: 'dog', model_version: 'local:1', accepted: false });
  w.controller.close();
});

test('labels made in another tab move the view past an item labeled there', async () => {
  const w = world(enough());
  await w.controller.start();
  await settle();
  assert.equal(w.screen.shown, 'i0');
  w.sync.labels['i0'] = { class: 'dog' };
  w.sync.changed.forEach((l) => l());
  assert.equal(w.screen.shown, 'i1');
  assert.equal(w.controller.probe().visible('i0')?.class, 'dog');
  w.controller.close();
});
