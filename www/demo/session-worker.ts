/**
 * A Web Worker that runs one `Session` for the demo's scripts (benchmarks, tests): the place
 * where the threaded module (`kindling/threads`) can run. One request at a time:
 * `{ url, device, threads?, batch, input, runs }` → `{ device, threads, threadsFallbackReason,
 * probs, ms }` (`ms`: median of `runs` timed predictions after ≥ 0.5 s of warm-up, null for 0 runs),
 * or `{ error, code }`.
 */
/// <reference lib="webworker" />
import type { DeviceChoice } from 'kindling';
import { kindlingFor } from '../shared/kindling-module';

/** What the page asks for. */
export interface WorkerRequest {
  url: string;
  device: DeviceChoice;
  threads?: number;
  batch: number;
  input: Float32Array;
  runs: number;
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { url, device, threads, batch, input, runs } = event.data;
  try {
    const { Session } = await kindlingFor(device, { threads });
    const session = await Session.load(url, { device, threads });
    const first = await session.predict(input, batch, {});
    let ms: number | null = null;
    if (runs > 0) {
      // Warm-up as in scripts/peers.mjs: ≥ 0.5 s, so the timed calls run tiered-up code.
      const warm = performance.now() + 500;
      while (performance.now() < warm) await session.predict(input, batch, {});
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await session.predict(input, batch, {});
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      ms = times[Math.floor(times.length / 2)] ?? null;
    }
    self.postMessage({
      device: session.device,
      threads: session.threads,
      threadsFallbackReason: session.threadsFallbackReason ?? null,
      probs: first.probs,
      ms,
    });
    session.dispose();
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code ?? null });
  }
};
