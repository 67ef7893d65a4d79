/**
 * Which of the package's modules a script loads: `kindling/web` (CPU, one thread, ~1 MB gzip;
 * its relaxed-SIMD build where the engine has relaxed SIMD), `kindling/threads` (CPU on a pool
 * of Web Workers; only in a Web Worker of a cross-origin isolated page) or `kindling/webgpu`
 * (the same API with the WebGPU backend, ~5 MB gzip). A script that runs on the CPU never
 * downloads the WebGPU code.
 */
import type { DeviceChoice } from 'kindling';
import { cpuWasmUrl, threadsWasmUrl, webgpuAdapterPresent, type CpuBuild } from 'kindling/worker';

/** The package's API (every module exports it). */
export type Kindling = typeof import('kindling');

/** Whether wasm threads can run here: a Web Worker (may block) of a cross-origin isolated page. */
export function threadsPossible(): boolean {
  return globalThis.crossOriginIsolated === true && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

/** Options of `kindlingFor`. */
export interface ModuleOptions {
  /** CPU threads where they are possible (default `navigator.hardwareConcurrency`; 1 = none). */
  threads?: number;
  /**
   * The CPU modules' build (default: this engine's, relaxed SIMD where it validates); a page or
   * worker runs one build of each module: the first call's.
   */
  cpuBuild?: CpuBuild;
}

/** The CPU module: the threaded one with its pool started where possible, else the plain one. */
async function cpuModule({ threads, cpuBuild }: ModuleOptions): Promise<Kindling> {
  if (threads !== 1 && threadsPossible()) {
    try {
      const threaded = await import(/* webpackChunkName: "kindling-threads" */ 'kindling/threads');
      await threaded.default({ module_or_path: threadsWasmUrl(cpuBuild) });
      await threaded.initThreads(threads);
      return threaded;
    } catch (err) {
      // Sessions of the plain module then say why they run on one thread.
      console.warn('kindling: the threaded module did not start, using one thread:', err);
    }
  }
  const plain = await import(/* webpackChunkName: "kindling-cpu" */ 'kindling/web');
  await plain.default({ module_or_path: cpuWasmUrl(cpuBuild) });
  return plain;
}

/**
 * The module for `device`: `cpu` → a CPU module; `webgpu` → the WebGPU module; `auto` → the
 * WebGPU module only when an adapter is present (a CPU module's `auto` then reports why not).
 * When the WebGPU module cannot be fetched (offline, never cached), `auto` runs on the CPU.
 */
export async function kindlingFor(device: DeviceChoice, options: ModuleOptions = {}): Promise<Kindling> {
  if (device === 'cpu' || (device === 'auto' && !(await webgpuAdapterPresent()))) return cpuModule(options);
  try {
    return await import(/* webpackChunkName: "kindling-webgpu" */ 'kindling/webgpu');
  } catch (err) {
    if (device === 'webgpu') throw err;
    return cpuModule(options);
  }
}
