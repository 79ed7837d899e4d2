// Benchmark: heap kept per imported instance (after a full GC), in-process: 50,000 instances decoded
// from ExportedService messages exactly as a peer sends them and applied through the importer's
// batched catalog path, on the memory store (what `agent --dev` keeps) and on sqlite (projection
// only in the heap). Baseline in the same run: the decoded wire messages themselves, held as-is.
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ExportedServiceSchema } from '../src/gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { IndexHub } from '../src/lib/index-hub.js';
import { SILENT_LOGGER } from '../src/lib/log.js';
import { CatalogService } from '../src/server/catalog/service.js';
import { fromWire } from '../src/server/peering/resources.js';
import { toWire } from '../src/server/peering/exports.js';
import { MemoryStore } from '../src/store/memory/memory-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { ImportBatcher } from '../src/server/peering/import-batcher.js';
import { fmt, printTable } from './stats.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The encoded ExportedService of one service, as an exporter with a realistic catalog builds it. */
function encoded(service: string, perService: number): Uint8Array {
  const entries = Array.from({ length: perService }, (_, i) => {
    const node = `node-${service}-${i}`;
    const id = `${service}-${i}`;
    return toWire({
      node: { value: { ID: '', Node: node, Address: `10.0.${i}.1`, Datacenter: 'east', TaggedAddresses: { lan: `10.0.${i}.1` }, Meta: { zone: 'a' }, PeerName: '' }, createIndex: 1, modifyIndex: 1 },
      service: { value: { Node: node, Kind: '', ID: id, Service: service, Tags: ['v1'], Address: '', TaggedAddresses: {}, Meta: { version: '1' }, Port: 8080, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: '' }, createIndex: 1, modifyIndex: 1 },
      checks: [{ value: { Node: node, CheckID: `${id}-alive`, Name: 'alive', Status: 'passing', Notes: '', Output: 'ok', ServiceID: id, ServiceName: service, ServiceTags: ['v1'], Type: 'ttl', ExposedPort: 0, Definition: {}, PeerName: '' }, createIndex: 1, modifyIndex: 1 }],
    });
  });
  return toBinary(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: entries }));
}

async function importInto(store: Store, messages: Uint8Array[]): Promise<{ keep: unknown; bytes: number }> {
  const before = heapAfterGc();
  const catalog = new CatalogService({ store, hub: new IndexHub(), log: SILENT_LOGGER });
  const batcher = new ImportBatcher((batch) => catalog.applyImportedServices('east', batch));
  const pending: Promise<void>[] = [];
  for (const [i, m] of messages.entries()) {
    const msg = fromBinary(ExportedServiceSchema, m);
    pending.push(batcher.add(`svc-${i}`, msg.Nodes.map((n) => fromWire(n, 'east'))));
    await batcher.room();
  }
  await Promise.all(pending);
  return { keep: catalog, bytes: heapAfterGc() - before };
}

export async function benchImportMemory(tmp: string, opts: { services: number; perService: number }): Promise<Record<string, number>> {
  const total = opts.services * opts.perService;
  const messages = Array.from({ length: opts.services }, (_, s) => encoded(`svc-${s}`, opts.perService));
  const b0 = heapAfterGc();
  const decoded = messages.map((m) => fromBinary(ExportedServiceSchema, m));
  const bareBytes = heapAfterGc() - b0;
  const mem = await importInto(new MemoryStore(), messages);
  const sqlite = new SqliteStore(join(tmp, `import-memory-${process.pid}.db`));
  const sql = await importInto(sqlite, messages);
  await sqlite.close();
  const per = (b: number): string => fmt(b / total / 1024, 2);
  printTable(`Heap kept per imported instance after GC (${opts.services} services × ${opts.perService} = ${total} instances, in-process)`, ['what', 'MiB', 'KiB per instance'], [
    ['decoded wire messages held as-is (baseline)', fmt(bareBytes / 1048576, 1), per(bareBytes)],
    ['importer, memory store (agent --dev): store + projection', fmt(mem.bytes / 1048576, 1), per(mem.bytes)],
    ['importer, sqlite store: projection', fmt(sql.bytes / 1048576, 1), per(sql.bytes)],
  ]);
  void decoded.length;
  void mem.keep;
  void sql.keep;
  return { importHeapPerInstanceMemoryKiB: mem.bytes / total / 1024, importHeapPerInstanceSqliteKiB: sql.bytes / total / 1024, wireHeapPerInstanceKiB: bareBytes / total / 1024 };
}
