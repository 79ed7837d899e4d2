// The sidecar's memory between connections: decisions until invalidated (or the backstop), bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecisionCache, MAX_REMEMBERED, SessionStore, VerifiedIdentities } from './decisions.js';

describe('DecisionCache', () => {
  it('reuses an answer until invalidated, then asks again', async () => {
    const c = new DecisionCache<boolean>(60_000);
    let asked = 0;
    const load = async (): Promise<boolean> => (asked++, true);
    await c.get('spiffe://a', load);
    await c.get('spiffe://a', load);
    assert.equal(asked, 1);
    c.invalidate();
    await c.get('spiffe://a', load);
    assert.equal(asked, 2);
    assert.equal(c.generation, 1);
  });

  it('drops answers after the backstop even without a change notice', async () => {
    const c = new DecisionCache<boolean>(5);
    let asked = 0;
    await c.get('k', async () => (asked++, true));
    await new Promise((r) => setTimeout(r, 20));
    await c.get('k', async () => (asked++, true));
    assert.equal(asked, 2);
  });

  it('does not keep a failed lookup', async () => {
    const c = new DecisionCache<boolean>(60_000);
    await assert.rejects(c.get('k', async () => Promise.reject(new Error('agent down'))));
    assert.equal(await c.get('k', async () => true), true);
  });
});

describe('VerifiedIdentities and SessionStore', () => {
  it('remember a bounded number of entries, forgetting the oldest first', () => {
    const v = new VerifiedIdentities();
    for (let i = 0; i <= MAX_REMEMBERED; i++) v.remember(`fp${i}`, `spiffe://td/${i}`);
    assert.equal(v.lookup('fp0'), undefined);
    assert.equal(v.lookup(`fp${MAX_REMEMBERED}`), `spiffe://td/${MAX_REMEMBERED}`);
    v.clear();
    assert.equal(v.lookup(`fp${MAX_REMEMBERED}`), undefined);
    const s = new SessionStore();
    s.set('h:1/sni', Buffer.from('x'));
    assert.deepEqual(s.get('h:1/sni'), Buffer.from('x'));
    s.forget('h:1/sni');
    assert.equal(s.get('h:1/sni'), undefined);
  });
});
