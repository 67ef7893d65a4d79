/**
 * Retry timing of the sync after a failure: exponential backoff between bounds, and full
 * jitter so retries from many tabs and devices do not arrive together.
 */

/** Backoff bounds after a failure. */
export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** The backoff after one more failure (0: none so far). */
export function nextBackoff(previousMs: number): number {
  return Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, previousMs * 2));
}

/** When to retry under `backoffMs`: uniformly in its second half. */
export function retryDelay(backoffMs: number, random: () => number = Math.random): number {
  return backoffMs / 2 + random() * (backoffMs / 2);
}
