#!/usr/bin/env node
// Launcher for the compiled CLI (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('isthmus is not built yet: run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(1);
}
await import(main);
