/**
 * The HTTP API client: a bearer token on every call, JSON errors `{code, message}` turned into
 * `ApiError`s, and network failures (offline, server down) into `NetworkError`s, so callers
 * can tell "the server said no" from "the server could not be reached".
 */

import type { ProjectDetail, User } from './generated/api-types';

/** The server answered with an error status. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Stable code from the body, e.g. `seq_gap`. */
    readonly code: string,
    message: string,
    /** The whole JSON body (extra fields such as `expected_seq`). */
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The request never got an answer (offline, DNS, connection refused, timeout). */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** Milliseconds before a request is abandoned as a network failure. */
const TIMEOUT_MS = 20_000;

/** A signed-in connection to `kindling serve`. */
export class Api {
  constructor(
    /** Bearer token. */
    readonly token: string,
    /** Origin of the server (the page's own by default). */
    readonly base = '',
  ) {}

  /** The URL of an API path such as `/projects`. */
  url(path: string): string {
    return `${this.base}/api/v1${path}`;
  }

  /** Headers every call sends. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  /** Sends a request and returns the raw response when it is a success. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    if (!navigator.onLine) {
      // Known offline: do not even try (a failed request would only add noise to the console).
      throw new NetworkError('offline');
    }
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        ...init,
        cache: 'no-store',
        headers: this.headers((init.headers as Record<string, string> | undefined) ?? {}),
        signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new NetworkError(`could not reach the server (${(err as Error).message})`);
    }
    if (!response.ok) {
      let body: Record<string, unknown> = {};
      try {
        body = (await response.json()) as Record<string, unknown>;
      } catch {
        // Not JSON (a proxy's page): the status says enough.
      }
      const code = typeof body.code === 'string' ? body.code : `http_${response.status}`;
      const message = typeof body.message === 'string' ? body.message : response.statusText;
      throw new ApiError(response.status, code, message, body);
    }
    return response;
  }

  /** GET a JSON resource. */
  async get<T>(path: string): Promise<T> {
    return (await (await this.fetch(path)).json()) as T;
  }

  /** POST JSON, read JSON. */
  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as T;
  }
}

// The API's bodies: generated from the server's Rust types (www/app/generated/api-types.ts).
export type { Lease, LeasedItem, ProjectInfo } from './generated/api-types';

/** `GET /me`. */
export type Me = User;

/** `GET /projects/{p}`: a project with its progress. */
export type ProjectProgress = ProjectDetail;

/** Words for an error, for the status line. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}
