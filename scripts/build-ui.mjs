// Builds the web UI (ui/) into dist/ui with esbuild: one hashed JS and CSS bundle plus index.html.
// Type-checks ui/ first, then measures the gzipped size and fails above the budget (250 KiB).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const OUT = 'dist/ui';
const BUDGET_BYTES = 250 * 1024;

if (!process.argv.includes('--no-typecheck')) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'ui/tsconfig.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const result = await build({
  entryPoints: ['ui/src/main.tsx'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  outdir: join(OUT, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js) throw new Error('esbuild produced no JavaScript bundle');
const html = readFileSync('ui/index.html', 'utf8')
  .replace('<!--CSS-->', css ? `<link rel="stylesheet" href="/ui/assets/${basename(css)}">` : '')
  .replace('<!--JS-->', `<script type="module" src="/ui/assets/${basename(js)}"></script>`);
writeFileSync(join(OUT, 'index.html'), html);
writeFileSync(join(OUT, 'favicon.svg'), readFileSync('ui/favicon.svg'));

let gz = 0;
for (const f of [...outputs, join(OUT, 'index.html'), join(OUT, 'favicon.svg')]) gz += gzipSync(readFileSync(f), { level: 9 }).length;
const report = { files: outputs.length + 2, gzipBytes: gz, budgetBytes: BUDGET_BYTES };
writeFileSync(join(OUT, 'size.json'), JSON.stringify(report) + '\n');
console.log(`UI bundle: ${(gz / 1024).toFixed(1)} KiB gzipped (budget ${BUDGET_BYTES / 1024} KiB) in ${OUT}`);
if (gz > BUDGET_BYTES) {
  console.error(`UI bundle over budget: ${gz} > ${BUDGET_BYTES} bytes gzipped`);
  process.exit(1);
}
