// Bundles the front end in www/ against the npm package that scripts/build-pkg.sh writes to
// pkg/. Model bundles from artifacts/models/ are copied next to the pages.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import CopyPlugin from 'copy-webpack-plugin';

const root = path.dirname(fileURLToPath(import.meta.url));
const models = path.join(root, 'artifacts', 'models');

export default {
  entry: { demo: './www/demo/main.ts' },
  output: {
    path: path.join(root, 'www', 'dist'),
    filename: '[name].[contenthash].js',
    clean: true,
  },
  experiments: { asyncWebAssembly: true },
  resolve: {
    extensions: ['.ts', '.js'],
    alias: { kindling: path.join(root, 'pkg') },
  },
  module: {
    rules: [{ test: /\.ts$/, use: 'ts-loader', exclude: /node_modules/ }],
  },
  plugins: [
    new HtmlWebpackPlugin({ template: './www/demo/index.html', filename: 'index.html', chunks: ['demo'] }),
    ...(fs.existsSync(models)
      ? [new CopyPlugin({ patterns: [{ from: models, to: 'models' }] })]
      : []),
  ],
  performance: { hints: false },
  devtool: false,
};
