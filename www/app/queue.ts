/**
 * The labeling queue: unlabeled items ordered by how unsure the model is (the chosen
 * strategy), with a small share of random picks so the model also sees what it is sure about.
 * Items without a prediction yet come after the predicted ones, in lease order.
 */
import type { Uncertainty } from 'kindling';

/** How to rank. */
export type Strategy = 'least-confidence' | 'margin' | 'entropy' | 'random';

/** The strategies, for the settings menu. */
export const STRATEGIES: Strategy[] = ['least-confidence', 'margin', 'entropy', 'random'];

/** One in this many queue slots is a random pick (exploration). */
export const RANDOM_EVERY = 10;

/** Higher = ask the person sooner. */
export function urgency(strategy: Strategy, u: Uncertainty): number {
  switch (strategy) {
    case 'least-confidence': return u.leastConfidence;
    case 'margin': return -u.margin;
    case 'entropy': return u.entropy;
    case 'random': return 0;
  }
}

/** A small seeded generator (mulberry32), so a ranking can be reproduced. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Orders `ids` (in lease order) for labeling. `uncertainty` has the predicted ones; ties are
 * broken in a seeded random order. Every `RANDOM_EVERY`-th slot (and every slot under
 * `random`) takes a uniformly random remaining item.
 */
export function rank(ids: string[], uncertainty: Map<string, Uncertainty>, strategy: Strategy, seed: number): string[] {
  const random = rng(seed);
  const predicted = ids.filter((id) => uncertainty.has(id));
  const rest = ids.filter((id) => !uncertainty.has(id));
  const score = new Map(predicted.map((id) => [id, urgency(strategy, uncertainty.get(id)!)]));
  // Shuffled first, then a stable sort: equal scores (an untrained head scores every item the
  // same) come in a seeded random order, not lease order.
  const shuffled = shuffle(predicted, random);
  const sorted = strategy === 'random' ? shuffled : shuffled.sort((a, b) => score.get(b)! - score.get(a)!);
  const out: string[] = [];
  const taken = new Set<string>();
  let next = 0;
  while (out.length < sorted.length) {
    let pick: string | undefined;
    if ((out.length + 1) % RANDOM_EVERY === 0) {
      const pool = sorted.filter((id) => !taken.has(id));
      pick = pool[Math.floor(random() * pool.length)];
    } else {
      while (next < sorted.length && taken.has(sorted[next]!)) next++;
      pick = sorted[next];
    }
    if (pick === undefined) break;
    taken.add(pick);
    out.push(pick);
  }
  return [...out, ...rest];
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
