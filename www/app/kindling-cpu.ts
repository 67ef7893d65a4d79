/**
 * The page's copy of the package's CPU module (`kindling/web`: `SyncClient`, `rankQueue`,
 * `Session.fetchManifest`), compiled once here and instantiated before any other module of the
 * app runs (top-level await). The same compiled `WebAssembly.Module` goes to the package's
 * worker (`KindlingWorker`'s `cpuModule`), whose CPU sessions instantiate it instead of
 * fetching and compiling the file a second time.
 */
import init from 'kindling/web';

/** The CPU module's wasm (the bundler folder's file, which `kindling/web` loads too). */
const WASM_URL = new URL('../../pkg/kindling_bg.wasm', import.meta.url);

async function compile(): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compileStreaming(fetch(WASM_URL));
  } catch {
    // A server that does not say `application/wasm`: compile from the bytes.
    return WebAssembly.compile(await (await fetch(WASM_URL)).arrayBuffer());
  }
}

/** The compiled CPU module, instantiated for this page. */
export const cpuModule: WebAssembly.Module = await compile();
await init({ module_or_path: cpuModule });
