// Which www/dist file a package wasm became: webpack renames each to a content hash
// (`<hash>.wasm`, `<hash>.module.wasm`), so the tests find them by their bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const digest = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * The www/dist file names (no folder) of the given pkg/ files, e.g. `distWasm('kindling_bg.wasm',
 * 'webgpu/kindling_bg.wasm')`; fails when one is not in www/dist.
 */
export function distWasm(...pkgFiles) {
  const dist = path.resolve('www/dist');
  const byDigest = new Map(fs.readdirSync(dist).filter((f) => f.endsWith('.wasm')).map((f) => [digest(path.join(dist, f)), f]));
  return pkgFiles.map((f) => {
    const name = byDigest.get(digest(path.resolve('pkg', f)));
    if (!name) throw new Error(`pkg/${f} is not in www/dist (rebuild with scripts/build-www.sh)`);
    return name;
  });
}
