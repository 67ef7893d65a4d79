// Bundles the front end in www/ against the npm package that scripts/build-pkg.sh writes to
// pkg/: the labeling app (index.html, its inference worker and service worker) and the demo
// (demo.html). Model bundles from artifacts/models/ are copied next to the pages for the demo.
import path from 'node:path';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import CopyPlugin from 'copy-webpack-plugin';

const root = path.dirname(fileURLToPath(import.meta.url));
const models = path.join(root, 'artifacts', 'models');

/**
 * The page and the worker each get their own copy of the same wasm (webpack hashes the module
 * per runtime; the page's bundler module is an async wasm module, `[hash].module.wasm`, named by
 * its hash in the JS; the worker's `web` module is an asset, `[hash].wasm`, named in full): keep
 * one file, a `.module.wasm` where there is one, and point every script at it. Saves 5–30 MB of
 * download and cache per duplicate.
 */
function dedupeWasm(compilation, assets) {
  const groups = new Map();
  for (const name of Object.keys(assets).filter((f) => f.endsWith('.wasm')).sort()) {
    const digest = sha256(assets[name].source());
    groups.set(digest, [...(groups.get(digest) ?? []), name]);
  }
  const isModule = (f) => f.endsWith('.module.wasm');
  for (const names of groups.values()) {
    const keep = names.find(isModule) ?? names[0];
    for (const name of names.filter((f) => f !== keep)) {
      // An async module is named by its hash; an asset by its file name.
      const [from, to] = isModule(name) ? [name, keep].map((f) => f.replace(/\.module\.wasm$/, '')) : [name, keep];
      for (const js of Object.keys(assets).filter((f) => f.endsWith('.js'))) {
        const text = assets[js].source().toString();
        if (text.includes(from)) compilation.updateAsset(js, new webpack.sources.RawSource(text.split(from).join(to)));
      }
      compilation.deleteAsset(name);
    }
  }
}

/** sha256 of a file's bytes. */
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * The output names of the CPU modules' builds, found by content: `{ simd128: [...], relaxed:
 * [...] }` — the one-thread and the threaded module's wasm of each build (pkg/ and
 * pkg/threads/: `kindling_bg.wasm` is SIMD128, `kindling_relaxed_bg.wasm` relaxed SIMD).
 */
function cpuBuilds(assets) {
  const byDigest = new Map(Object.keys(assets).filter((f) => f.endsWith('.wasm')).map((f) => [sha256(assets[f].source()), f]));
  const out = { simd128: [], relaxed: [] };
  for (const dir of ['pkg', 'pkg/threads']) {
    for (const [build, file] of [['simd128', 'kindling_bg.wasm'], ['relaxed', 'kindling_relaxed_bg.wasm']]) {
      const name = byDigest.get(sha256(fs.readFileSync(path.join(root, dir, file))));
      if (!name) throw new Error(`${dir}/${file} is not among the build's assets`);
      out[build].push(name);
    }
  }
  return out;
}

/**
 * Prepends the app shell's file list and a version (a hash of the files' contents) to sw.js,
 * so the service worker precaches exactly this deploy, and a new deploy is a new sw.js. The
 * WebGPU module's files are listed apart (`lazy`): cached when a device first uses them; so
 * are the CPU modules' two builds (`builds`): a device precaches the one its engine runs.
 */
class PrecacheManifest {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('PrecacheManifest', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'PrecacheManifest', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_SUMMARIZE },
        (assets) => {
          dedupeWasm(compilation, assets);
          // The WebGPU module is fetched only by devices that choose WebGPU, then kept.
          const lazy = new Set([...compilation.chunks]
            .filter((c) => c.name === 'kindling-webgpu')
            .flatMap((c) => [...c.files, ...c.auxiliaryFiles])
            .filter((f) => f in assets));
          const shell = Object.keys(assets)
            .filter((f) => f !== 'sw.js' && !f.startsWith('models/') && f !== 'demo.html' && !f.startsWith('demo'))
            .sort();
          const hash = crypto.createHash('sha256');
          for (const f of shell) hash.update(f).update(assets[f].source());
          // The CPU modules' two builds: a device precaches the one it runs (sw.ts).
          const builds = cpuBuilds(assets);
          const variants = new Set(Object.values(builds).flat());
          const files = shell.filter((f) => !lazy.has(f) && !variants.has(f));
          const manifest = { version: hash.digest('hex').slice(0, 16), files: ['./', ...files], lazy: [...lazy].sort(), builds };
          const sw = assets['sw.js'].source().toString();
          compilation.updateAsset('sw.js', new webpack.sources.RawSource(
            `self.__KINDLING_PRECACHE__=${JSON.stringify(manifest)};\n${sw}`));
        });
    });
  }
}

export default {
  entry: {
    app: './www/app/main.ts',
    sw: './www/app/sw.ts',
    demo: './www/demo/main.ts',
  },
  output: {
    path: path.join(root, 'www', 'dist'),
    filename: (chunk) => (chunk.chunk.name === 'sw' ? 'sw.js' : '[name].[contenthash].js'),
    chunkFilename: '[name].[contenthash].js',
    clean: true,
  },
  experiments: { asyncWebAssembly: true },
  resolve: {
    extensions: ['.ts', '.js'],
    alias: {
      'kindling/webgpu$': path.join(root, 'pkg', 'webgpu', 'kindling.js'),
      'kindling/threads$': path.join(root, 'pkg', 'threads', 'kindling.js'),
      'kindling/worker$': path.join(root, 'pkg', 'worker', 'client.js'),
      'kindling/web$': path.join(root, 'pkg', 'web', 'kindling.js'),
      kindling$: path.join(root, 'pkg', 'kindling.js'),
    },
  },
  module: {
    rules: [{ test: /\.ts$/, use: 'ts-loader', exclude: /node_modules/ }],
  },
  plugins: [
    new HtmlWebpackPlugin({ template: './www/app/index.html', filename: 'index.html', chunks: ['app'] }),
    new HtmlWebpackPlugin({ template: './www/demo/demo.html', filename: 'demo.html', chunks: ['demo'] }),
    new CopyPlugin({
      patterns: [
        { from: 'www/app/app.webmanifest', to: 'app.webmanifest' },
        ...(fs.existsSync(models) ? [{ from: models, to: 'models' }] : []),
      ],
    }),
    new PrecacheManifest(),
  ],
  performance: { hints: false },
  devtool: false,
};
