/**
 * The labeling queue: unlabeled items ordered by how unsure the model is (the chosen
 * strategy), with a small share of random picks so the model also sees what it is sure about.
 * Items without a prediction yet come after the predicted ones, in lease order. The order is
 * computed by the runtime (`rankQueue`, Rust `kindling::queue`): the same code
 * `kindling bench active-learning` measures.
 */
import { rankQueue, type Strategy, type Uncertainty } from 'kindling/web';
import './kindling-cpu';

export type { Strategy };

/** The strategies, for the settings menu. */
export const STRATEGIES: Strategy[] = ['least-confidence', 'margin', 'entropy', 'random'];

/** One in this many queue slots is a random pick (exploration). */
export const RANDOM_EVERY = 10;

/**
 * Orders `ids` (in lease order) for labeling. `uncertainty` has the predicted ones; ties are
 * broken in a seeded random order. Every `RANDOM_EVERY`-th slot takes a uniformly random
 * remaining item; under `random` the whole order is a seeded shuffle.
 */
export function rank(ids: string[], uncertainty: Map<string, Uncertainty>, strategy: Strategy, seed: number): string[] {
  const packed = new Float32Array(ids.length * 3).fill(Number.NaN);
  ids.forEach((id, i) => {
    const u = uncertainty.get(id);
    if (u) packed.set([u.leastConfidence, u.margin, u.entropy], i * 3);
  });
  const order = rankQueue(packed, strategy, seed >>> 0, RANDOM_EVERY);
  return Array.from(order, (i) => ids[i]!);
}
