// Runs the store conformance suite against the SQLite backend, including reopen durability.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runStoreConformance } from '../conformance.js';
import type { Store } from '../store.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'isthmus-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const paths = new WeakMap<Store, string>();

runStoreConformance({
  name: 'sqlite',
  newStore: (o) => {
    const path = join(dir, `store-${n++}.db`);
    const s = new SqliteStore(path, { historyRevisions: o.historyRevisions });
    paths.set(s, path);
    return s;
  },
  reopen: async (s) => {
    await s.close();
    const path = paths.get(s) as string;
    return new SqliteStore(path);
  },
});
