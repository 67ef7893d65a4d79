/** Small DOM helpers. Text always goes through `textContent`, never `innerHTML`. */

/** The element with `id` (throws when the page lacks it: a bug, not a user error). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

/** `0.8732` → `"87.3%"`. */
export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** A short "how long ago" for the status line. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(ms).toLocaleString();
}

/** A table with a header row and text cells. */
export function table(caption: string, head: string[], rows: (string | number)[][]): HTMLTableElement {
  const t = document.createElement('table');
  const c = t.createCaption();
  c.textContent = caption;
  const hr = t.createTHead().insertRow();
  for (const h of head) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    hr.append(th);
  }
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const cell of r) tr.insertCell().textContent = String(cell);
  }
  return t;
}
