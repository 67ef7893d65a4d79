/**
 * Which of the package's two modules a page loads: `kindling` (CPU only, ~1 MB gzip) or
 * `kindling/webgpu` (the same API with the WebGPU backend, ~5 MB gzip). A page that runs on
 * the CPU never downloads the WebGPU code.
 */
import type { DeviceChoice } from 'kindling';

/** The package's API (both modules export the same one). */
export type Kindling = typeof import('kindling');

/** Resolves to true when this browser hands out a WebGPU adapter. */
export async function webgpuAdapterPresent(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/**
 * The module for `device`: `cpu` → the CPU module; `webgpu` → the WebGPU module; `auto` → the
 * WebGPU module only when an adapter is present (the CPU module's `auto` then reports why not).
 * When the WebGPU module cannot be fetched (offline, never cached), `auto` runs on the CPU module.
 */
export async function kindlingFor(device: DeviceChoice): Promise<Kindling> {
  if (device === 'cpu') return import(/* webpackChunkName: "kindling-cpu" */ 'kindling');
  if (device === 'auto' && !(await webgpuAdapterPresent())) return import(/* webpackChunkName: "kindling-cpu" */ 'kindling');
  try {
    return await import(/* webpackChunkName: "kindling-webgpu" */ 'kindling/webgpu');
  } catch (err) {
    if (device === 'webgpu') throw err;
    return import(/* webpackChunkName: "kindling-cpu" */ 'kindling');
  }
}
