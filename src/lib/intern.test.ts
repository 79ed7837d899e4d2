import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flat, StringPool } from './intern.js';

describe('StringPool', () => {
  it('returns the first equal string it saw, for short strings only', () => {
    const pool = new StringPool();
    const a = ['pass', 'ing'].join('');
    assert.equal(pool.intern(a), a);
    assert.equal(pool.intern(`pas${'sing'}`), a);
    const long = 'x'.repeat(100);
    assert.equal(pool.intern(long), long);
    assert.equal(pool.size, 1, 'long strings are not pooled');
  });

  it('stays within its capacity', () => {
    const pool = new StringPool(10);
    for (let i = 0; i < 1000; i++) pool.intern(`v${i}`);
    assert.ok(pool.size <= 10);
  });

  it('interns map values and keeps __proto__ an ordinary own key', () => {
    const pool = new StringPool();
    const src = JSON.parse('{"__proto__":"x","zone":"a"}') as Record<string, string>;
    const out = pool.internRecord(src);
    assert.deepEqual(Object.keys(out), ['__proto__', 'zone']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(out.zone, 'a');
  });
});

describe('flat', () => {
  it('returns the same string value', () => {
    const s = `${'catalog/'}${'peer.east'}/node/${'n1'}`;
    assert.equal(flat(s), 'catalog/peer.east/node/n1');
    assert.equal(flat(''), '');
    assert.equal(flat('12'), '12');
  });
});
