/**
 * The project dashboard: evaluation accuracy of every model version against the number of
 * labels it was trained on (an SVG chart), the current version's confusion matrix on the
 * evaluation set, how often each annotator overrides the model, and training jobs (start,
 * progress, cancel, automatic training).
 */
import { Api, ApiError, describe } from './api';
import { $, formatPercent, table } from './dom';
import type { Dashboard, Job, JobList, VersionLine } from './generated/api-types';

// `GET /projects/{p}/dashboard` and the jobs: generated from the server's Rust types.
export type { Dashboard, Job } from './generated/api-types';
/** One model version as `GET /dashboard` lists it. */
export type VersionPoint = VersionLine;

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Accuracy on the evaluation set against labels trained on, one point per version. */
export function accuracyChart(points: VersionPoint[]): SVGSVGElement {
  const data = points.filter((p) => p.label_count !== null && p.eval_accuracy !== null);
  const [w, h, left, bottom, top, right] = [560, 260, 52, 40, 14, 16];
  const chart = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc', class: 'chart' });
  chart.append(svg('title', { id: 'chart-title' }, 'Evaluation accuracy by labels trained on'));
  chart.append(svg('desc', { id: 'chart-desc' }, data.map((p) => `version ${p.version}: ${p.label_count} labels, ${formatPercent(p.eval_accuracy!)}${p.current ? ' (current)' : p.published ? '' : ' (candidate)'}`).join('; ') || 'no trained versions yet'));
  const maxX = Math.max(10, ...data.map((p) => p.label_count!)) * 1.05;
  const minY = Math.min(0.5, ...data.map((p) => p.eval_accuracy!));
  const x = (v: number) => left + (v / maxX) * (w - left - right);
  const y = (v: number) => top + (1 - (v - minY) / (1 - minY)) * (h - top - bottom);
  chart.append(svg('line', { x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, stroke: '#555' }));
  chart.append(svg('line', { x1: left, y1: top, x2: left, y2: h - bottom, stroke: '#555' }));
  for (let i = 0; i <= 4; i++) {
    const v = minY + ((1 - minY) * i) / 4;
    chart.append(svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, formatPercent(v)));
    chart.append(svg('line', { x1: left, y1: y(v), x2: w - right, y2: y(v), stroke: '#e4e4de' }));
    const lx = (maxX * i) / 4;
    chart.append(svg('text', { x: x(lx), y: h - bottom + 16, 'text-anchor': 'middle', 'font-size': 11 }, String(Math.round(lx))));
  }
  chart.append(svg('text', { x: (w + left) / 2, y: h - 6, 'text-anchor': 'middle', 'font-size': 12 }, 'labels trained on'));
  const line = data.filter((p) => p.published || p.current).sort((a, b) => a.label_count! - b.label_count!);
  if (line.length > 1) {
    chart.append(svg('polyline', { points: line.map((p) => `${x(p.label_count!)},${y(p.eval_accuracy!)}`).join(' '), fill: 'none', stroke: '#b3470c', 'stroke-width': 2 }));
  }
  for (const p of data) {
    const dot = svg('circle', {
      cx: x(p.label_count!), cy: y(p.eval_accuracy!), r: p.current ? 6 : 4.5,
      fill: p.published || p.current ? '#b3470c' : '#fff', stroke: '#b3470c', 'stroke-width': 2,
    });
    dot.append(svg('title', {}, `v${p.version}: ${p.label_count} labels, ${formatPercent(p.eval_accuracy!)}${p.current ? ' (current)' : ''}`));
    chart.append(dot);
    chart.append(svg('text', { x: x(p.label_count!) + 7, y: y(p.eval_accuracy!) - 7, 'font-size': 11 }, `v${p.version}`));
  }
  return chart;
}

function confusionTable(d: Dashboard): HTMLElement {
  if (!d.confusion) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'No confusion matrix yet: the current version was not trained here, or no evaluation item is labeled.';
    return p;
  }
  return table(`Confusion matrix of v${d.confusion.version} on the evaluation set (rows: true class, columns: predicted)`,
    ['true ↓ / predicted →', ...d.labels], d.confusion.matrix.map((row, i) => [d.labels[i] ?? String(i), ...row]));
}

/** Agreement between annotators on items labeled more than once (owners and reviewers). */
function agreementTables(d: Dashboard): HTMLElement[] {
  const a = d.agreement;
  if (!a) return [];
  if (a.alpha_items === 0) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'No item has been labeled by two annotators yet: no agreement figures.';
    return [p];
  }
  const value = (v: number | null) => (v === null ? '— (one class only)' : v.toFixed(3));
  return [
    table(`Agreement between annotators: Krippendorff's alpha ${value(a.alpha)} on ${a.alpha_items} items labeled more than once`,
      ['annotators', "Cohen's kappa", 'items in common'], a.pairs.map((p) => [`${p.a} · ${p.b}`, value(p.kappa), p.items])),
    table('Disputed labels per class (another annotator chose another class for the item)', ['class', 'labels on shared items', 'disputed'],
      a.per_class.filter((c) => c.labels > 0).map((c) => [c.class, c.labels, c.disputed])),
  ];
}

/** Renders the dashboard and the jobs into the project page; returns whether a job is active. */
export async function renderDashboard(api: Api, project: string, role: string, refresh: () => void): Promise<boolean> {
  const base = `/projects/${encodeURIComponent(project)}`;
  const [d, { jobs }] = await Promise.all([
    api.get<Dashboard>(`${base}/dashboard`),
    api.get<JobList>(`${base}/jobs`),
  ]);
  $('chart').replaceChildren(accuracyChart(d.versions));
  const owner = role === 'owner';
  $('versions').replaceChildren(table('Model versions', ['version', 'labels', 'eval items', 'eval accuracy', 'status', 'training', ...(owner ? ['action'] : [])],
    d.versions.map((v) => [
      v.version, v.label_count ?? '—', v.eval_count ?? '—', v.eval_accuracy === null ? '—' : formatPercent(v.eval_accuracy),
      v.current ? 'current' : v.trained_here ? (v.published ? 'published earlier' : 'candidate') : 'uploaded',
      v.training_ms === null ? '—' : `${(v.training_ms / 1000).toFixed(1)} s`,
      ...(owner && v.current ? ['—'] : []),
    ])));
  if (owner) {
    // An owner may still choose a candidate (or roll back): the same call as the API's.
    const rows = $('versions').querySelectorAll('tbody tr');
    d.versions.forEach((v, i) => {
      if (v.current) return;
      const cell = document.createElement('td');
      const use = document.createElement('button');
      use.type = 'button';
      use.textContent = 'Make current';
      use.setAttribute('aria-label', `Make version ${v.version} current`);
      use.onclick = () => {
        use.disabled = true;
        api.fetch(`${base}/models/${encodeURIComponent(v.version)}/current`, { method: 'PUT' })
          .then(refresh, (err) => { $('train-error').textContent = describe(err); refresh(); });
      };
      cell.append(use);
      rows[i]?.append(cell);
    });
  }
  $('confusion').replaceChildren(confusionTable(d));
  $('agreement').replaceChildren(...agreementTables(d));
  // Gold figures come to owners only.
  const gold = d.annotators.some((a) => a.gold_items !== null);
  $('overrides').replaceChildren(table('Per annotator: overrides of the model’s suggestion, reviews and gold items',
    ['annotator', 'labels', 'with a suggestion', 'overridden', 'rate', 'reviewed', 'corrected', 'flagged', ...(gold ? ['gold items', 'gold accuracy'] : [])],
    d.annotators.map((a) => [a.name, a.labels, a.with_suggestion, a.overrides, a.override_rate === null ? '—' : formatPercent(a.override_rate), a.reviewed, a.corrected, a.flagged,
      ...(gold ? [a.gold_items ?? 0, a.gold_accuracy === null ? '—' : formatPercent(a.gold_accuracy)] : [])])));
  const active = jobs.find((j) => j.status === 'queued' || j.status === 'running');
  $('train-controls').hidden = !owner;
  const train = $<HTMLButtonElement>('train-now');
  train.disabled = !!active;
  train.onclick = () => {
    train.disabled = true;
    api.post(`${base}/jobs`, {}).then(refresh).catch((err) => {
      $('train-error').textContent = err instanceof ApiError && err.code === 'job_active' ? 'A job is already queued or running.' : describe(err);
      refresh();
    });
  };
  $('jobs').replaceChildren(table('Training jobs', ['started', 'trigger', 'labels', 'status', 'progress / result', ''],
    jobs.slice(0, 8).map((j) => [
      new Date(j.created_at).toLocaleString(), j.trigger, j.label_count, j.status,
      j.status === 'running' && j.progress?.phase === 'training'
        ? `epoch ${j.progress.epoch}/${j.progress.epochs}, ${typeof j.progress.val_accuracy === 'number' ? `validation ${formatPercent(j.progress.val_accuracy)}` : 'no validation split'}`
        : j.result ? `v${j.result.version}: ${j.result.reason}` : j.error ?? j.progress?.phase ?? '',
      '',
    ])));
  if (active && owner) {
    const rows = $('jobs').querySelectorAll('tbody tr');
    const index = jobs.indexOf(active);
    const cell = rows[index]?.lastElementChild;
    if (cell) {
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.textContent = 'Cancel';
      cancel.onclick = () => void api.post(`${base}/jobs/${active.id}/cancel`, {}).then(refresh, refresh);
      cell.append(cancel);
    }
  }
  return !!active;
}
