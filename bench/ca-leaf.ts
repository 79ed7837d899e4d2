// Benchmark: leaf certificate issuance per second by the built-in CA, next to the floor of the same
// crypto done bare (a P-256 key pair plus one ECDSA signature per leaf) in the same run.
import { generateKeyPairSync, sign } from 'node:crypto';
import { SILENT_LOGGER } from '../src/lib/log.js';
import { IndexHub } from '../src/lib/index-hub.js';
import { MemoryStore } from '../src/store/memory/memory-store.js';
import { CaService } from '../src/server/ca/service.js';
import { fmt, printTable } from './stats.js';

export async function benchLeaf(n: number): Promise<Record<string, number>> {
  const ca = new CaService({ store: new MemoryStore(), hub: new IndexHub(), log: SILENT_LOGGER }, { datacenter: 'dc1' });
  await ca.load();
  const tbs = Buffer.alloc(400, 7);
  // warm-up
  for (let i = 0; i < 20; i++) await ca.issue({ commonName: 'w', uris: ['spiffe://x/ns/default/dc/dc1/svc/w'] });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    sign('sha256', tbs, privateKey);
  }
  const bare = n / ((performance.now() - t0) / 1000);
  const run = async (concurrency: number): Promise<number> => {
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          await ca.issue({ commonName: `svc-${i}`, uris: [`spiffe://x/ns/default/dc/dc1/svc/svc-${i}`] });
        }
      }),
    );
    return n / ((performance.now() - start) / 1000);
  };
  const sequential = await run(1);
  const concurrent = await run(16);
  printTable(`Leaf issuance (${n} leaves, fresh P-256 key each)`, ['what', 'per second', 'ratio to bare'], [
    ['bare: P-256 keygen + one ECDSA signature (sync)', fmt(bare, 0), '1.000'],
    ['isthmus CA, one request at a time', fmt(sequential, 0), fmt(sequential / bare, 3)],
    ['isthmus CA, 16 concurrent requests', fmt(concurrent, 0), fmt(concurrent / bare, 3)],
  ]);
  return { leafPerSecSequential: sequential, leafPerSecConcurrent: concurrent, bareKeySignPerSec: bare };
}
