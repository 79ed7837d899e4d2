// The memory store's history ring: consecutive revisions, eviction when full, trimming, lookup.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryRing } from './history-ring.js';

const batch = (revision: number) => ({ revision, events: [{ type: 'delete' as const, key: `k${revision}`, revision }] });
const revs = (r: HistoryRing, from: number): number[] => [...r.from(from)].map((b) => b.revision);

describe('HistoryRing', () => {
  it('evicts the oldest batch once full and keeps the newest `capacity` in order', () => {
    const r = new HistoryRing(3);
    assert.equal(r.push(batch(1)), undefined);
    r.push(batch(2));
    r.push(batch(3));
    assert.equal(r.push(batch(4))?.revision, 1);
    assert.equal(r.push(batch(5))?.revision, 2);
    assert.deepEqual(revs(r, 0), [3, 4, 5]);
    assert.deepEqual(revs(r, 4), [4, 5]);
    assert.deepEqual(revs(r, 6), []);
    assert.equal(r.first, 3);
  });

  it('drops through a revision, then keeps appending', () => {
    const r = new HistoryRing(4);
    for (let i = 1; i <= 6; i++) r.push(batch(i));
    r.dropThrough(4);
    assert.deepEqual(revs(r, 0), [5, 6]);
    r.dropThrough(2);
    assert.equal(r.size, 2);
    r.push(batch(7));
    assert.deepEqual(revs(r, 5), [5, 6, 7]);
    r.dropThrough(100);
    assert.equal(r.size, 0);
    assert.equal(r.first, undefined);
    r.push(batch(8));
    assert.deepEqual(revs(r, 1), [8]);
  });

  it('refuses a gap in revisions and a non-positive capacity', () => {
    const r = new HistoryRing(2);
    r.push(batch(1));
    assert.throws(() => r.push(batch(3)), /consecutive/);
    assert.throws(() => new HistoryRing(0), RangeError);
  });
});
