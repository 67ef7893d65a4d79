/**
 * Which build of the CPU modules (`kindling/web`'s and `kindling/threads`' wasm) this browser
 * runs: the relaxed-SIMD build (`kindling_relaxed_bg.wasm`: the kernels' multiply-adds fused
 * with `f32x4.relaxed_madd`, 5–17% faster on convolutions and dense layers) where the engine
 * validates relaxed SIMD, else the SIMD128 build (`kindling_bg.wasm`). Both give the same
 * results within float rounding (a fused multiply-add rounds once).
 *
 * ```js
 * import init, { Session } from 'kindling/web';
 * import { cpuWasmUrl } from 'kindling/worker';
 * await init({ module_or_path: cpuWasmUrl() });
 * ```
 */

/**
 * A module whose one function returns `f32x4.relaxed_madd` of three constants: valid only
 * where the engine has relaxed SIMD.
 */
const RELAXED_SIMD_PROBE = (() => {
  const v128Const = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...v128Const, ...v128Const, ...v128Const, 0xfd, 0x85, 0x02, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
    0x03, 0x02, 0x01, 0x00, // functions: one of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body, // code
  ]);
})();

/** Whether this engine (page or worker) runs WebAssembly relaxed SIMD. */
export function relaxedSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/** A build of the CPU modules: with relaxed SIMD, or SIMD128 alone. */
export type CpuBuild = 'relaxed' | 'simd128';

/** This browser's build: `'relaxed'` where {@link relaxedSimdSupported}, else `'simd128'`. */
export function cpuBuild(): CpuBuild {
  return relaxedSimdSupported() ? 'relaxed' : 'simd128';
}

/**
 * The URL of the CPU module's wasm for this browser (or for `build`, when given): pass it to
 * `kindling/web`'s `init`. `WorkerSession`s do this by themselves.
 */
export function cpuWasmUrl(build: CpuBuild = cpuBuild()): URL {
  // Literal URLs, so that bundlers emit both files as assets.
  return build === 'relaxed'
    ? new URL('../kindling_relaxed_bg.wasm', import.meta.url)
    : new URL('../kindling_bg.wasm', import.meta.url);
}

/**
 * The same for the threaded CPU module (`kindling/threads`; pass it to its `init` before
 * `initThreads`: the pool's workers get the module the page instantiated).
 */
export function threadsWasmUrl(build: CpuBuild = cpuBuild()): URL {
  return build === 'relaxed'
    ? new URL('../threads/kindling_relaxed_bg.wasm', import.meta.url)
    : new URL('../threads/kindling_bg.wasm', import.meta.url);
}
