import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPatchBetween } from './patch.js';

describe('jsonPatchBetween', () => {
  it('adds, removes and replaces keys, escaping ~ and / in keys (RFC 6901)', () => {
    const ops = jsonPatchBetween({ metadata: { labels: { a: '1' }, x: 1 } }, { metadata: { labels: { a: '2', 'consul.hashicorp.com/k~1': 'v' }, annotations: { b: 'c' } } });
    assert.deepEqual(ops, [
      { op: 'remove', path: '/metadata/x' },
      { op: 'replace', path: '/metadata/labels/a', value: '2' },
      { op: 'add', path: '/metadata/labels/consul.hashicorp.com~1k~01', value: 'v' },
      { op: 'add', path: '/metadata/annotations', value: { b: 'c' } },
    ]);
  });

  it('turns items added at either end of an array into adds, other changes into a replace', () => {
    assert.deepEqual(jsonPatchBetween({ c: [{ n: 'app' }] }, { c: [{ n: 'side' }, { n: 'app' }, { n: 'tail' }] }), [
      { op: 'add', path: '/c/0', value: { n: 'side' } },
      { op: 'add', path: '/c/-', value: { n: 'tail' } },
    ]);
    assert.deepEqual(jsonPatchBetween({ c: [1, 2] }, { c: [2, 1] }), [{ op: 'replace', path: '/c', value: [2, 1] }]);
    assert.deepEqual(jsonPatchBetween({ c: [1] }, { c: [1] }), []);
  });
});
