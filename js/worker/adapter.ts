/** Whether WebGPU can run here, asked the way the package's modules ask. */

/** Resolves to true when this browser (page or worker) hands out a WebGPU adapter. */
export async function webgpuAdapterPresent(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}
