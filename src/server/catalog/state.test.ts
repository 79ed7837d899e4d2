// The projection: a record applied as an object reads back exactly as the same record applied as
// stored JSON; the cached tag unions of /v1/catalog/services follow every instance write and delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogKeys, parseCatalogKey, type ParsedKey } from './keys.js';
import { CatalogState } from './state.js';
import type { CheckRecord, NodeRecord, ServiceRecord } from './types.js';

const node = (name: string): NodeRecord => ({ ID: '', Node: name, Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: { zone: 'a' }, PeerName: 'east' });
const svc = (n: string, id: string, name: string, tags: string[]): ServiceRecord => ({ Node: n, Kind: '', ID: id, Service: name, Tags: tags, Address: '', TaggedAddresses: {}, Meta: {}, Port: 80, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: 'east' });
const chk = (n: string, id: string, sid: string, name: string): CheckRecord => ({ Node: n, CheckID: id, Name: id, Status: 'passing', Notes: '', Output: '', ServiceID: sid, ServiceName: name, ServiceTags: [], Type: '', ExposedPort: 0, Definition: {}, PeerName: 'east' });

function write(st: CatalogState, how: 'json' | 'object', key: string, value: NodeRecord | ServiceRecord | CheckRecord, rev: number): string[] {
  return how === 'json' ? st.applyPut(key, JSON.stringify(value), undefined, rev) : st.applyRecord(parseCatalogKey(key) as ParsedKey, value, undefined, rev);
}

describe('catalog projection', () => {
  it('applyRecord and applyPut give the same reads and the same topics', () => {
    const states = { json: new CatalogState(), object: new CatalogState() };
    const topics: Record<string, string[][]> = { json: [], object: [] };
    for (const how of ['json', 'object'] as const) {
      const st = states[how];
      topics[how]?.push(write(st, how, catalogKeys.node('east', 'n1'), node('n1'), 1));
      topics[how]?.push(write(st, how, catalogKeys.service('east', 'n1', 'web-1'), svc('n1', 'web-1', 'web', ['v1']), 2));
      topics[how]?.push(write(st, how, catalogKeys.check('east', 'n1', 'c1'), chk('n1', 'c1', 'web-1', 'web'), 3));
      topics[how]?.push(write(st, how, catalogKeys.service('east', 'n1', 'web-1'), svc('n1', 'web-1', 'web', ['v2']), 4));
    }
    assert.deepEqual(topics.object, topics.json);
    assert.deepEqual(states.object.healthService('east', 'web'), states.json.healthService('east', 'web'));
    assert.deepEqual(states.object.nodes('east'), states.json.nodes('east'));
    assert.equal(states.object.service('east', 'n1', 'web-1')?.createIndex, 2, 'a rewrite keeps its create index');
  });

  it('the tag union of a service follows writes, renames and deletes', () => {
    const st = new CatalogState();
    st.applyRecord({ kind: 'node', ks: '', node: 'n1' }, node('n1'), undefined, 1);
    st.applyRecord({ kind: 'service', ks: '', node: 'n1', id: 'a' }, svc('n1', 'a', 'web', ['v1']), undefined, 2);
    assert.deepEqual([...st.serviceTags('')], [['web', ['v1']]]);
    st.applyRecord({ kind: 'service', ks: '', node: 'n1', id: 'b' }, svc('n1', 'b', 'web', ['v2']), undefined, 3);
    assert.deepEqual(st.serviceTags('').get('web'), ['v1', 'v2']);
    st.applyRecord({ kind: 'service', ks: '', node: 'n1', id: 'a' }, svc('n1', 'a', 'api', ['v3']), undefined, 4);
    assert.deepEqual([...st.serviceTags('')], [['api', ['v3']], ['web', ['v2']]], 'a renamed instance leaves its old service');
    st.applyDelete(catalogKeys.service('', 'n1', 'b'));
    assert.deepEqual([...st.serviceTags('')], [['api', ['v3']]]);
    assert.deepEqual([...st.serviceTags('', { zone: 'b' })], [], 'a node-meta filter is applied, not cached');
    assert.deepEqual([...st.serviceTags('', { zone: 'a' })], [['api', ['v3']]]);
  });
});
