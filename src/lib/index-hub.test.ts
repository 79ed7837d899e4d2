// IndexHub waits: woken by a bump past their index, by their timeout, or by their abort signal —
// including many waits sharing one signal, one after another or at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexHub } from './index-hub.js';

const settled = (p: Promise<void>): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);

describe('IndexHub.wait', () => {
  it('wakes every waiter whose index a bump passes, and only those', async () => {
    const hub = new IndexHub();
    hub.bump(['a'], 5);
    const woken = Array.from({ length: 100 }, () => hub.wait(['a'], 5, 60_000));
    const other = hub.wait(['b'], 5, 60_000);
    assert.equal(hub.waiting(), 101);
    hub.bump(['a'], 6);
    await Promise.all(woken);
    assert.equal(await settled(other), false);
    assert.equal(hub.waiting(), 1);
    hub.bump(['b'], 7);
    await other;
    assert.equal(hub.waiting(), 0);
  });

  it('ends a wait at its timeout', async () => {
    const hub = new IndexHub();
    const started = Date.now();
    await hub.wait(['a'], 1, 100);
    assert.ok(Date.now() - started >= 90);
    assert.equal(hub.waiting(), 0);
  });

  it('ends every wait parked on a signal when it aborts, and waits after a wake still abort', async () => {
    const hub = new IndexHub();
    const ac = new AbortController();
    // The same request signal used for a wait that a bump ends, then for two more.
    const first = hub.wait(['a'], 1, 60_000, ac.signal);
    hub.bump(['a'], 2);
    await first;
    const second = hub.wait(['a'], 2, 60_000, ac.signal);
    const third = hub.wait(['c'], 2, 60_000, ac.signal);
    const unrelated = hub.wait(['a'], 2, 60_000, new AbortController().signal);
    assert.equal(hub.waiting(), 3);
    ac.abort();
    await Promise.all([second, third]);
    assert.equal(hub.waiting(), 1, 'a wait on another signal stays');
    assert.equal(await settled(unrelated), false);
    // An aborted signal does not wait at all.
    await hub.wait(['a'], 2, 60_000, ac.signal);
    hub.bump(['a'], 3);
    await unrelated;
    assert.equal(hub.waiting(), 0);
  });
});
