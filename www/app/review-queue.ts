/**
 * The reviewers' queue, free of the DOM: which labeled items to look at first, and what a
 * decision writes. Items where annotators disagree come first, then the model's ranking
 * (`likelyErrors`: out-of-fold predictions, ascending confidence in the given class relative to
 * the class's mean; an item the model is as sure belongs to another class as it usually is of
 * that class is a "likely error"), then items it did not rank; every `sampleEvery`-th slot is a
 * uniformly random item, so the corrections among those estimate the error rate of all labels
 * without the ranking's bias.
 */
import type { LabelValue, LocalLabel, ReviewAction } from 'kindling';

/** Why an item is in the queue where it is. */
export type ReviewReason = 'disagree' | 'likely-error' | 'random' | 'ranked' | 'unranked';

/** One item of the review queue. */
export interface ReviewEntry {
  id: string;
  reason: ReviewReason;
  /** For a likely error: the class index the model is confident of instead. */
  likely?: number;
  /** Out-of-fold probability of the given class, where the item was ranked. */
  selfConfidence?: number;
}

/** A ranked item as the worker returns it. */
export interface Ranked { id: string; selfConfidence: number; likely?: number; }

/** What goes into the order. */
export interface ReviewOrderInput {
  /** Items still to review, with the distinct classes their labels give. */
  items: Map<string, string[]>;
  /** The model's ranking (most likely wrong first); items it lacks come after it, by id. */
  ranked: Ranked[];
  /** Seeds the random sample (same seed, same queue). */
  seed: number;
  /** Every `sampleEvery`-th slot (0, n, 2n, …) holds a random item; 0: no sample. */
  sampleEvery: number;
}

/** A small seeded generator (mulberry32): the same queue after a reload. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The review order (see the module comment). */
export function reviewOrder({ items, ranked, seed, sampleEvery }: ReviewOrderInput): ReviewEntry[] {
  const ids = [...items.keys()].sort();
  const sampleSize = sampleEvery > 0 ? Math.ceil(ids.length / sampleEvery) : 0;
  // A uniform sample without replacement (partial Fisher–Yates over the sorted ids).
  const pool = [...ids];
  const next = random(seed);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(next() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const sample = pool.slice(0, sampleSize);
  const sampled = new Set(sample);
  const byId = new Map(ranked.map((r) => [r.id, r]));
  const entry = (id: string, reason: ReviewReason): ReviewEntry => {
    const r = byId.get(id);
    return { id, reason, ...(r?.likely !== undefined ? { likely: r.likely } : {}), ...(r ? { selfConfidence: r.selfConfidence } : {}) };
  };
  const disagree = ids.filter((id) => !sampled.has(id) && (items.get(id)?.length ?? 0) > 1);
  const taken = new Set([...sampled, ...disagree]);
  const rankedHere = ranked.filter((r) => items.has(r.id) && !taken.has(r.id));
  const unranked = ids.filter((id) => !taken.has(id) && !byId.has(id));
  const priority: ReviewEntry[] = [
    ...disagree.map((id) => entry(id, 'disagree')),
    ...rankedHere.map((r) => entry(r.id, r.likely !== undefined ? 'likely-error' : 'ranked')),
    ...unranked.map((id) => entry(id, 'unranked')),
  ];
  const out: ReviewEntry[] = [];
  let s = 0;
  let p = 0;
  while (s < sample.length || p < priority.length) {
    if (s < sample.length && (out.length % sampleEvery === 0 || p >= priority.length)) out.push(entry(sample[s++]!, 'random'));
    else out.push(priority[p++]!);
  }
  return out;
}

/** A reviewer's decision on the item on screen. */
export type Decision =
  | { action: 'accept' }
  | { action: 'correct'; class: string }
  | { action: 'flag'; reason: string };

/** The classes an item's labels give, one per label (removed labels left out). */
export function givenClasses(labels: Record<string, LocalLabel>): string[] {
  return Object.values(labels).flatMap((l) => (l.value ? [l.value.class] : []));
}

/** Thrown for an accept where the annotators disagree: the reviewer must pick the class. */
export class AmbiguousAcceptError extends Error {}

/**
 * The review ops of `decision` on an item's labels (annotator id → label): one per label,
 * each keeping the annotator's key. A correction to the class a label already has is an accept
 * of that label.
 */
export function reviewOps(labels: Record<string, LocalLabel>, decision: Decision): { annotator: string; value: LabelValue }[] {
  const given = Object.entries(labels).flatMap(([annotator, l]) => (l.value ? [{ annotator, class: l.value.class }] : []));
  if (decision.action === 'accept' && new Set(given.map((g) => g.class)).size > 1) {
    throw new AmbiguousAcceptError('the annotators disagree: pick the right class (its key) instead of accepting');
  }
  return given.map(({ annotator, class: was }) => {
    let action: ReviewAction;
    let cls = was;
    let reason: string | undefined;
    if (decision.action === 'correct' && decision.class !== was) {
      action = 'correct';
      cls = decision.class;
    } else if (decision.action === 'flag') {
      action = 'flag';
      reason = decision.reason;
    } else {
      action = 'accept';
    }
    return { annotator, value: { class: cls, review: { action, reviewer: '', ...(reason ? { reason } : {}) } } };
  });
}

/** Whether every label of an item carries a review (it left the queue). */
export function reviewed(labels: Record<string, LocalLabel>): boolean {
  const values = Object.values(labels).flatMap((l) => (l.value ? [l.value] : []));
  return values.length > 0 && values.every((v) => !!v.review);
}

/**
 * The error rate the random sample estimates: of the sampled items reviewed, the share whose
 * labels were corrected (flags count as errors too). `null` before any sampled item is reviewed.
 */
export function sampledErrorRate(decisions: { reason: ReviewReason; decision: Decision['action'] }[]): { rate: number; reviewed: number } | null {
  const sampled = decisions.filter((d) => d.reason === 'random');
  if (sampled.length === 0) return null;
  const wrong = sampled.filter((d) => d.decision !== 'accept').length;
  return { rate: wrong / sampled.length, reviewed: sampled.length };
}
