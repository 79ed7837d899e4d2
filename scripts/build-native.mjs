// Builds the tiny SO_ORIGINAL_DST addon (native/original-dst) with the node-gyp that ships with npm.
// Linux only; a failure is reported and tolerated (transparent proxying then reports it cannot run).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'original-dst');
if (process.platform !== 'linux') {
  console.log('build-native: not Linux; skipping the SO_ORIGINAL_DST addon');
  process.exit(0);
}
let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  gyp = existsSync(npmDir) ? npmDir : undefined;
}
if (!gyp) {
  console.warn('build-native: node-gyp not found; transparent proxying will be unavailable');
  process.exit(0);
}
// Use the installed headers when present (no download needed).
const headers = join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
const args = [gyp, 'rebuild', '--loglevel=error', '--directory', dir, ...(existsSync(headers) ? [`--nodedir=${join(dirname(process.execPath), '..')}`] : [])];
try {
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log('build-native: built native/original-dst');
} catch (err) {
  console.warn(`build-native: could not build the SO_ORIGINAL_DST addon (${err.message.split('\n')[0]}); transparent proxying will be unavailable`);
}
