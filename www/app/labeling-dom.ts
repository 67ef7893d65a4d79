/**
 * The labeling view's DOM pieces that depend only on what they show: class buttons, the
 * suggestion panel, recent labels. Text always goes through `textContent`.
 */
import type { ClassScore, LabelValue } from 'kindling';
import { $, formatPercent } from './dom';
import { probabilityRow } from '../shared/bars';

/** One button per class, with its key (1–9, 0) shown and in its accessible name. */
export function classButtons(labels: string[], onPick: (index: number, at: number) => void): HTMLButtonElement[] {
  return labels.map((label, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'class-button';
    b.dataset.index = String(i);
    const key = i < 9 ? String(i + 1) : i === 9 ? '0' : '';
    const kbd = document.createElement('kbd');
    kbd.textContent = key;
    const name = document.createElement('span');
    name.textContent = label;
    b.append(kbd, name);
    b.setAttribute('aria-label', key ? `${label} (key ${key})` : label);
    b.addEventListener('click', (e) => onPick(i, e.timeStamp));
    return b;
  });
}

/** Shows the model's top-k for the item on screen, or why there is none (`placeholder`). */
export function showSuggestion(topK: ClassScore[] | undefined, placeholder: string): void {
  const top = topK?.[0];
  for (const b of document.querySelectorAll<HTMLButtonElement>('.class-button')) {
    b.classList.toggle('suggested', !!top && Number(b.dataset.index) === top.index);
  }
  $('accept').toggleAttribute('disabled', !top);
  $('suggestion').textContent = top ? `${top.label} · ${formatPercent(top.probability)}` : placeholder;
  $('suggestion-fill').style.width = top ? `${(top.probability * 100).toFixed(1)}%` : '0';
  $('topk').replaceChildren(...(topK ?? []).map((c) => probabilityRow(c)));
}

/** The last labels of this session, newest first. */
export function showRecent(items: string[], labeled: Record<string, LabelValue | null>): void {
  $('recent').replaceChildren(...items.slice(-8).reverse().map((id) => {
    const li = document.createElement('li');
    li.dataset.item = id;
    const v = labeled[id];
    li.textContent = `${id}: ${v ? v.class : '(removed)'}`;
    return li;
  }));
}
