// The catalog's write pipeline over a group-committing store: writes are applied to the projection
// when decided, answered only once durable, and a commit that fails after being decided is undone
// (projection reloaded from the store) rather than left visible.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import type { TxnOptions, TxnRequest, TxnResult } from '../../store/store.js';
import { CatalogService } from './service.js';
import type { NodeRecord } from './types.js';

const node = (name: string): NodeRecord => ({ ID: '', Node: name, Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {}, PeerName: '' });

/** A memory store whose commits become durable only when the test says so (or fail). */
class GatedStore extends MemoryStore {
  readonly gates: { resolve: () => void; reject: (e: Error) => void }[] = [];
  failNext = false;
  override async txn(request: TxnRequest, options: TxnOptions = {}): Promise<TxnResult> {
    if (!this.failNext) {
      const result = await super.txn(request, { ...(options.onApplied ? { onApplied: options.onApplied } : {}) });
      await new Promise<void>((resolve, reject) => this.gates.push({ resolve, reject }));
      return result;
    }
    // Decided (the catalog applies it), then the commit fails: nothing reaches the data.
    this.failNext = false;
    options.onApplied?.({ succeeded: true, revision: (await this.revision()) + 1 });
    await new Promise<void>((resolve, reject) => this.gates.push({ resolve, reject }));
    throw new Error('disk full');
  }
}

describe('catalog writes over group commit', () => {
  it('applies decided writes at once, lets the next write build on them, and answers only when durable', async () => {
    const store = new GatedStore();
    const hub = new IndexHub();
    const catalog = new CatalogService({ store, hub, log: SILENT_LOGGER });
    let firstDone = false;
    const first = catalog.register({ nodeName: 'n1', node: node('n1'), checks: [] }).then(() => (firstDone = true));
    // The second registration needs n1 to exist (SkipNodeUpdate-style): it must see the first one.
    const second = catalog.register({ nodeName: 'n1', service: { Node: 'n1', Kind: '', ID: 'web-1', Service: 'web', Tags: [], Address: '', TaggedAddresses: {}, Meta: {}, Port: 80, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: '' }, checks: [] });
    await new Promise((r) => setImmediate(r));
    assert.equal(store.gates.length, 2, 'both writes were decided without waiting for the first fsync');
    assert.equal(firstDone, false, 'not answered before it is durable');
    assert.equal(hub.index(['|svc|web']), 1, 'blocked readers are not woken before durability');
    for (const g of store.gates.splice(0)) g.resolve();
    await Promise.all([first, second]);
    assert.ok(hub.index(['|svc|web']) > 1);
    assert.equal(catalog.reader.serviceInstances('', 'web').length, 1);
  });

  it('a decided write whose commit fails is undone from the projection', async () => {
    const store = new GatedStore();
    const catalog = new CatalogService({ store, hub: new IndexHub(), log: SILENT_LOGGER });
    const ok = catalog.register({ nodeName: 'kept', node: node('kept'), checks: [] });
    await new Promise((r) => setImmediate(r));
    store.gates.shift()?.resolve();
    await ok;
    store.failNext = true;
    const lost = catalog.register({ nodeName: 'lost', node: node('lost'), checks: [] });
    await new Promise((r) => setImmediate(r));
    assert.ok(catalog.reader.node('', 'lost'), 'visible while deciding');
    store.gates.shift()?.resolve();
    await assert.rejects(lost, /disk full/);
    assert.equal(catalog.reader.node('', 'lost'), undefined, 'gone once the commit failed');
    assert.ok(catalog.reader.node('', 'kept'));
  });
});
