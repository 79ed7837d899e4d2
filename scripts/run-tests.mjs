// Finds the compiled test files and runs them with node:test (unit + in-process first, then end-to-end).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  let out = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : 'all';
const tiers = [];
// Every test has a deadline, and every tier too: a hung test fails the run instead of stalling CI.
if (only === 'all' || only === 'unit') tiers.push(['unit and in-process', find('dist/src'), ['--test-timeout=120000']]);
if (only === 'all' || only === 'e2e') tiers.push(['end-to-end', find('dist/test'), ['--test-concurrency=1', '--test-timeout=300000']]);
const TIER_DEADLINE_MS = 25 * 60_000;

let failed = false;
for (const [name, files, extra] of tiers) {
  if (files.length === 0) continue;
  console.log(`\n== ${name}: ${files.length} files ==`);
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...extra, ...files], { stdio: 'inherit', timeout: TIER_DEADLINE_MS, killSignal: 'SIGKILL' });
  if (r.error) console.error(`\n${name} tier stopped: ${r.error.message}`);
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
