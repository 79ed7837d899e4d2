// Two catalogs (two "servers") on one shared store: each sees the other's writes through the feed,
// reads its own writes at once, wakes blocked readers, and agrees on indexes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import type { Store } from '../../store/store.js';
import { CATALOG_PREFIX, topics } from '../catalog/keys.js';
import { CatalogService } from '../catalog/service.js';
import { StoreFeed } from './feed.js';
import { FollowingStore } from './following-store.js';

async function server(shared: Store): Promise<{ catalog: CatalogService; hub: IndexHub; feed: StoreFeed }> {
  const ref: { feed?: StoreFeed } = {};
  const store = new FollowingStore(shared, () => ref.feed);
  const from = await shared.revision();
  const hub = new IndexHub();
  const catalog = new CatalogService({ store, hub, log: SILENT_LOGGER });
  await catalog.load();
  const feed = new StoreFeed({ store: shared, log: SILENT_LOGGER }, from);
  feed.subscribe([CATALOG_PREFIX], (ev, rev) => catalog.applyReplicated(ev, rev));
  ref.feed = feed;
  feed.start();
  return { catalog, hub, feed };
}

const node = (name: string, address: string) => ({ nodeName: name, node: { ID: '', Node: name, Address: address, Datacenter: 'dc1', TaggedAddresses: {}, Meta: {}, PeerName: '' }, checks: [] });

describe('store feed: several servers on one store', () => {
  it('replicates writes both ways with identical indexes and read-your-writes', async () => {
    const shared = new MemoryStore();
    const a = await server(shared);
    const b = await server(shared);
    const r1 = await a.catalog.register(node('n1', '10.0.0.1'));
    assert.equal(a.catalog.reader.node('', 'n1')?.value.Address, '10.0.0.1', 'the writer reads its own write at once');
    await b.feed.waitFor(r1);
    assert.deepEqual(b.catalog.reader.node('', 'n1'), a.catalog.reader.node('', 'n1'));
    const r2 = await b.catalog.register(node('n1', '10.0.0.2'));
    assert.ok(r2 > r1);
    await a.feed.waitFor(r2);
    assert.equal(a.catalog.reader.node('', 'n1')?.value.Address, '10.0.0.2');
    assert.equal(a.catalog.reader.node('', 'n1')?.createIndex, r1);
    assert.equal(a.hub.index([topics.node('', 'n1')]), b.hub.index([topics.node('', 'n1')]));
    a.feed.stop();
    b.feed.stop();
  });

  it('wakes a blocked reader on one server for a write made on the other', async () => {
    const shared = new MemoryStore();
    const a = await server(shared);
    const b = await server(shared);
    await b.feed.waitFor(await a.catalog.register(node('n0', '10.0.0.8')));
    const start = b.hub.index([topics.nodes('')]);
    const t0 = Date.now();
    const woke = b.hub.wait([topics.nodes('')], start, 5_000);
    const rev = await a.catalog.register(node('n9', '10.0.0.9'));
    await woke;
    assert.ok(Date.now() - t0 < 2_000, 'woken by the write, not by the timeout');
    assert.equal(b.hub.index([topics.nodes('')]), rev);
    a.feed.stop();
    b.feed.stop();
  });

  it('applies interleaved writes of both servers in revision order (last write wins everywhere)', async () => {
    const shared = new MemoryStore();
    const a = await server(shared);
    const b = await server(shared);
    const writes: Promise<number>[] = [];
    for (let i = 0; i < 50; i++) writes.push((i % 2 ? a : b).catalog.register(node('hot', `10.0.1.${i}`)));
    const revs = await Promise.all(writes);
    const last = Math.max(...revs);
    await Promise.all([a.feed.waitFor(last), b.feed.waitFor(last)]);
    const stored = JSON.parse((await shared.get('catalog/local/node/hot'))?.value ?? '{}') as { Address: string };
    assert.equal(a.catalog.reader.node('', 'hot')?.value.Address, stored.Address);
    assert.equal(b.catalog.reader.node('', 'hot')?.value.Address, stored.Address);
    a.feed.stop();
    b.feed.stop();
  });
});
