// Top-level await in main.js: build for browsers that have it (and WebAssembly SIMD).
export default { build: { target: 'es2022' } };
