// The bundler build of `kindling` imports its .wasm as a module: webpack 5 needs asyncWebAssembly.
module.exports = {
  mode: 'production',
  entry: './src/index.js',
  output: { path: `${__dirname}/dist`, filename: 'main.js' },
  experiments: { asyncWebAssembly: true, topLevelAwait: true },
  performance: { hints: false },
};
