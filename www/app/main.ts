/**
 * The labeling app: sign in with a token, pick a project, see its progress, label. Routes are
 * hash-based (`#/`, `#/p/{id}`, `#/p/{id}/label`, `#/p/{id}/label/{item}` to open one item first) so the service worker serves one shell for all.
 */
import { Session, type DeviceChoice } from 'kindling/web';
import './kindling-cpu';
import { Api, ApiError, NetworkError, describe, type Me, type ProjectInfo, type ProjectProgress } from './api';
import { $, table } from './dom';
import { renderDashboard } from './dashboard';
import { renderMembers, renderMyInvitations } from './invitations';
import { Inference } from './inference';
import { LabelingView } from './labeling';
import { ReviewView } from './review';
import { renderFatal, renderStatus } from './status';
import { Store } from './store';
import { SyncEngine } from './sync';

const TOKEN_KEY = 'kindling.token';
const ME_KEY = 'kindling.me';

let store: Store;
let api: Api | null = null;
let me: Me | null = null;
let inference: Inference | null = null;
const engines = new Map<string, SyncEngine>();
let view: LabelingView | ReviewView | null = null;

/** `?device=cpu|webgpu|auto` on the URL is remembered; the default is `auto`. */
function deviceChoice(): DeviceChoice {
  const asked = new URLSearchParams(location.search).get('device');
  if (asked === 'cpu' || asked === 'webgpu' || asked === 'auto') localStorage.setItem('kindling.device', asked);
  const saved = localStorage.getItem('kindling.device');
  return saved === 'cpu' || saved === 'webgpu' ? saved : 'auto';
}

function show(section: 'signin' | 'projects' | 'project' | 'label' | 'review'): void {
  for (const id of ['signin', 'projects', 'project', 'label', 'review']) $(id).hidden = id !== section;
  $('nav-projects').hidden = section === 'signin';
  $('sign-out').hidden = !api;
  const heading = $(section).querySelector<HTMLElement>('h2');
  heading?.focus({ preventScroll: true });
}

async function signIn(token: string): Promise<void> {
  const candidate = new Api(token);
  const who = await candidate.get<Me>('/me');
  if (me && me.id !== who.id) {
    // Another person on this device: their pending labels stay stored under their id.
    for (const e of engines.values()) void e.close();
    engines.clear();
  }
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(ME_KEY, JSON.stringify(who));
  api = candidate;
  me = who;
  for (const e of engines.values()) e.setApi(candidate);
  view?.setApi(candidate);
}

function setupSignIn(): void {
  $<HTMLFormElement>('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('token');
    const err = $('signin-error');
    err.textContent = '';
    signIn(input.value.trim())
      .then(() => {
        input.value = '';
        const back = sessionStorage.getItem('kindling.after-signin');
        sessionStorage.removeItem('kindling.after-signin');
        location.hash = back ?? '#/';
        void route();
      })
      .catch((error) => {
        err.textContent = error instanceof ApiError && error.status === 401
          ? 'This token is not valid (or has expired). Ask the project owner for a new one.'
          : `Could not sign in: ${describe(error)}`;
      });
  });
  $('sign-out').addEventListener('click', () => void signOut());
}

/**
 * Signs out and removes what this device holds (leased items, labels, cached models), so the
 * next person on a shared device sees none of it. While labels are unsent it refuses and says
 * so: signing out must never delete a label that is not on the server.
 */
async function signOut(): Promise<void> {
  const unsent = await store.unsentCount();
  if (unsent > 0) {
    $('page-error').textContent = `${unsent} labels are not on the server yet. Connect and let them sync, then sign out (signing out now would delete them from this device).`;
    for (const e of engines.values()) e.schedule(0);
    return;
  }
  view?.stop();
  view = null;
  // No sync may write while the stores are cleared.
  await Promise.all([...engines.values()].map((e) => e.close()));
  engines.clear();
  try {
    await store.clearAll();
  } catch (error) {
    $('page-error').textContent = `Not signed out: ${describe(error)}. Let them sync, then sign out.`;
    return;
  }
  // The model files the package cached (Session.clearCache), and the bucket of app versions
  // before the package cached them; the page reloads right after, which ends the worker and
  // the sync engines.
  await Promise.all([Session.clearCache(), caches.delete('kindling-models-v1')]);
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
  api = null;
  location.hash = '#/signin';
  location.reload();
}

/** Asks for a new token, keeping everything stored (the outbox resumes after sign-in). */
function needSignIn(): void {
  sessionStorage.setItem('kindling.after-signin', location.hash);
  show('signin');
  $('signin-reason').textContent = 'Your session ended. Sign in again: labels made meanwhile are kept on this device and sent afterwards.';
}

async function engineFor(project: string): Promise<SyncEngine> {
  let engine = engines.get(project);
  if (!engine) {
    engine = await SyncEngine.open(api!, store, project, me!.id);
    engine.onStatus((s) => {
      renderStatus(s);
      if (s.needsSignIn) needSignIn();
    });
    engines.set(project, engine);
    engine.schedule(0);
  }
  return engine;
}

/** A GET that falls back to the last copy stored when the server cannot be reached. */
async function cached<T>(key: string, path: string): Promise<T> {
  try {
    const value = await api!.get<T>(path);
    await store.setMeta(key, value);
    return value;
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    const saved = await store.getMeta<T>(key);
    if (saved === undefined) throw new NetworkError('offline, and this page was never loaded online on this device');
    return saved;
  }
}

async function showProjects(): Promise<void> {
  show('projects');
  const list = $('project-list');
  const items = await cached<ProjectInfo[]>('projects', '/projects');
  list.replaceChildren(...items.map((p) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `#/p/${encodeURIComponent(p.id)}`;
    a.textContent = p.name;
    const meta = document.createElement('span');
    meta.className = 'muted';
    meta.textContent = ` ${p.task} · ${p.labels.length} classes · you are ${p.role}`;
    li.append(a, meta);
    return li;
  }));
  if (items.length === 0) list.textContent = 'No projects yet. A project owner invites you by your user name; the invitation shows here.';
  renderMyInvitations(api!, () => void showProjects()).catch((err) => {
    // Offline: invitations wait for the next visit online.
    if (!(err instanceof NetworkError)) $('invitation-error').textContent = describe(err);
  });
}

async function showProject(id: string): Promise<void> {
  show('project');
  const p = await cached<ProjectProgress>(`project:${id}`, `/projects/${encodeURIComponent(id)}`);
  $('project-name').textContent = p.name;
  const { items, labeled, per_class, per_annotator } = p.progress;
  $('progress-summary').textContent = `${labeled} of ${items} items labeled (${items ? Math.round((100 * labeled) / items) : 0}%)`;
  const bar = $<HTMLProgressElement>('progress-bar');
  bar.max = Math.max(1, items);
  bar.value = labeled;
  $('per-class').replaceChildren(table('Labels per class', ['class', 'labels'], p.labels.map((l) => [l, per_class[l] ?? 0])));
  $('per-annotator').replaceChildren(table('Labels per annotator', ['annotator', 'labels'], Object.entries(per_annotator)));
  $<HTMLAnchorElement>('start-labeling').href = `#/p/${encodeURIComponent(id)}/label`;
  $('start-labeling').hidden = p.role === 'reviewer';
  const review = $<HTMLAnchorElement>('start-review');
  review.href = `#/p/${encodeURIComponent(id)}/review`;
  review.hidden = p.role !== 'owner' && p.role !== 'reviewer';
  void engineFor(id);
  $<HTMLInputElement>('auto-train').value = String(p.auto_train_every ?? 0);
  const autoForm = $<HTMLFormElement>('auto-train-form');
  autoForm.onsubmit = (e) => {
    e.preventDefault();
    const every = Number($<HTMLInputElement>('auto-train').value || 0);
    api!.fetch(`/projects/${encodeURIComponent(id)}/auto-train`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ every }),
    }).then(() => { $('train-error').textContent = `Saved: ${every ? `training after every ${every} new labels` : 'automatic training is off'}.`; })
      .catch((err) => { $('train-error').textContent = describe(err); });
  };
  $<HTMLInputElement>('overlap').value = String(p.overlap_percent ?? 0);
  $<HTMLFormElement>('overlap-form').onsubmit = (e) => {
    e.preventDefault();
    const percent = Number($<HTMLInputElement>('overlap').value || 0);
    api!.fetch(`/projects/${encodeURIComponent(id)}/overlap`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ percent }),
    }).then(() => { $('train-error').textContent = `Saved: ${percent ? `${percent}% of items are labeled by two annotators` : 'no item is labeled twice'}.`; })
      .catch((err) => { $('train-error').textContent = describe(err); });
  };
  $('member-controls').hidden = p.role !== 'owner';
  if (p.role === 'owner') {
    renderMembers(api!, id).catch((err) => {
      if (!(err instanceof NetworkError)) $('invite-status').textContent = describe(err);
    });
  }
  await refreshDashboard(id, p.role);
}

let dashboardTimer: ReturnType<typeof setTimeout> | undefined;

/** Renders the dashboard; while a job is queued or running, again every 2 s. */
async function refreshDashboard(id: string, role: string): Promise<void> {
  if (dashboardTimer !== undefined) clearTimeout(dashboardTimer);
  if (location.hash !== `#/p/${encodeURIComponent(id)}` || !api) return;
  try {
    const active = await renderDashboard(api, id, role, () => void refreshDashboard(id, role));
    dashboardTimer = setTimeout(() => void refreshDashboard(id, role), active ? 2_000 : 15_000);
  } catch (err) {
    if (!(err instanceof NetworkError)) $('train-error').textContent = describe(err);
  }
}

async function showLabeling(id: string, firstItem: string | null): Promise<void> {
  show('label');
  const p = await cached<ProjectProgress>(`project:${id}`, `/projects/${encodeURIComponent(id)}`);
  $('label-project').textContent = p.name;
  const engine = await engineFor(id);
  inference ??= new Inference();
  view = new LabelingView(api!, store, engine, inference, p, deviceChoice(), renderFatal, firstItem);
  await view.start();
}

async function showReview(id: string): Promise<void> {
  show('review');
  const p = await cached<ProjectProgress>(`project:${id}`, `/projects/${encodeURIComponent(id)}`);
  const engine = await engineFor(id);
  inference ??= new Inference();
  const review = new ReviewView(api!, store, engine, inference, p, deviceChoice());
  view = review;
  await review.start();
}

async function route(): Promise<void> {
  view?.stop();
  view = null;
  $('page-error').textContent = '';
  const hash = location.hash || '#/';
  if (!api || hash === '#/signin') {
    show('signin');
    return;
  }
  const m = /^#\/p\/([^/]+)(\/label(?:\/([^/]+))?)?$/.exec(hash);
  const r = /^#\/p\/([^/]+)\/review$/.exec(hash);
  try {
    if (r) {
      await showReview(decodeURIComponent(r[1]!));
    } else if (m) {
      const id = decodeURIComponent(m[1]!);
      await (m[2] ? showLabeling(id, m[3] ? decodeURIComponent(m[3]) : null) : showProject(id));
    } else {
      await showProjects();
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      needSignIn();
      return;
    }
    $('page-error').textContent = describe(err);
  }
}

async function main(): Promise<void> {
  renderStatus(null);
  store = await Store.open('kindling', () => {
    $('page-error').textContent = 'Another Kindling tab runs an older version of the app: close it to finish the update (your labels are kept).';
  });
  const token = localStorage.getItem(TOKEN_KEY);
  const saved = localStorage.getItem(ME_KEY);
  if (token && saved) {
    api = new Api(token);
    me = JSON.parse(saved) as Me;
  }
  setupSignIn();
  addEventListener('hashchange', () => void route());
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((err) => {
      $('page-error').textContent = `Offline support is unavailable: ${describe(err)}`;
    });
  }
  if ('storage' in navigator && navigator.storage.persist) {
    // Ask the browser not to evict labels and leased items under storage pressure.
    void navigator.storage.persist().catch(() => false);
  }
  await route();
}

main().catch((err) => {
  $('page-error').textContent = `The app could not start: ${describe(err)}`;
});
