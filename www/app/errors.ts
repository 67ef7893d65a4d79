/**
 * The app's own error types, in a module without browser-only imports so DOM-free code (and its
 * unit tests) can tell them apart with `instanceof` instead of matching message text.
 */

/** A prediction or model load that a newer one replaced (not a failure: nothing to show). */
export class SupersededError extends Error {
  override name = 'SupersededError';
}

/** The browser refused a write because this site's storage is full. */
export class QuotaError extends Error {
  override name = 'QuotaError';
}
