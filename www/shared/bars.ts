/** One class with its probability as a row: name, a bar, the percentage (text only). */
import type { ClassScore } from 'kindling';

/** A `<tag class=className>` row for `c`; the bar is `.track > .fill` (styled by the page). */
export function probabilityRow(c: ClassScore, tag: 'div' | 'li' = 'li', className = ''): HTMLElement {
  const row = document.createElement(tag);
  if (className) row.className = className;
  const name = document.createElement('span');
  name.textContent = c.label;
  const track = document.createElement('span');
  track.className = 'track';
  const fill = document.createElement('span');
  fill.className = 'fill';
  const percent = `${(c.probability * 100).toFixed(1)}%`;
  fill.style.width = percent;
  track.append(fill);
  const value = document.createElement('span');
  value.textContent = percent;
  row.append(name, track, value);
  return row;
}
