import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sameData } from './same-data.js';

describe('sameData', () => {
  it('agrees with comparing JSON encodings of key-sorted data', () => {
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(json, json, (a, b) => {
        assert.equal(sameData(a, b), JSON.stringify(sorted(a)) === JSON.stringify(sorted(b)));
        assert.equal(sameData(a, JSON.parse(JSON.stringify(a))), true);
      }),
      { numRuns: 500 },
    );
  });

  it('ignores key order and undefined values, and tells arrays from objects', () => {
    assert.equal(sameData({ a: 1, b: { c: [1, 'x'] } }, { b: { c: [1, 'x'] }, a: 1 }), true);
    assert.equal(sameData({ a: 1, u: undefined }, { a: 1 }), true);
    assert.equal(sameData({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(sameData([], {}), false);
    assert.equal(sameData({ Status: 'passing' }, { Status: 'critical' }), false);
    assert.equal(sameData(null, {}), false);
  });
});
