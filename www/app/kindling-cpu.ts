/**
 * The page's copy of the package's CPU module (`kindling/web`: `SyncClient`, `rankQueue`,
 * `Session.fetchManifest`), compiled once here and instantiated before any other module of the
 * app runs (top-level await). The same compiled `WebAssembly.Module` goes to the package's
 * worker (`KindlingWorker`'s `cpuModule`), whose CPU sessions instantiate it instead of
 * fetching and compiling the file a second time. The build is this browser's: relaxed SIMD
 * where the engine validates it, else SIMD128 (and SIMD128 when the relaxed file cannot be had).
 */
import init from 'kindling/web';
import { cpuWasmUrl, relaxedSimdSupported, type CpuBuild } from 'kindling/worker';

async function compile(url: URL): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A server that does not say `application/wasm`: compile from the bytes.
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

/** The relaxed-SIMD build where this browser has relaxed SIMD, else (or failing that) SIMD128. */
async function compileForThisBrowser(): Promise<[WebAssembly.Module, CpuBuild]> {
  if (relaxedSimdSupported()) {
    try {
      return [await compile(cpuWasmUrl('relaxed')), 'relaxed'];
    } catch (err) {
      console.warn('kindling: the relaxed-SIMD CPU module did not load, using SIMD128:', err);
    }
  }
  return [await compile(cpuWasmUrl('simd128')), 'simd128'];
}

const [compiled, build] = await compileForThisBrowser();
/** The compiled CPU module, instantiated for this page. */
export const cpuModule: WebAssembly.Module = compiled;
/** Which build `cpuModule` is. */
export const cpuBuild: CpuBuild = build;
await init({ module_or_path: cpuModule });
