// Header names canonicalised as Go's net/http does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalHeaderKey, canonicalHeaders, consulWireHeaders } from './header-case.js';

describe('canonicalHeaderKey', () => {
  const table: [string, string][] = [
    ['x-consul-index', 'X-Consul-Index'],
    ['X-Consul-KnownLeader', 'X-Consul-Knownleader'],
    ['x-consul-lastcontact', 'X-Consul-Lastcontact'],
    ['X-Consul-Effective-Consistency', 'X-Consul-Effective-Consistency'],
    ['X-Consul-Default-ACL-Policy', 'X-Consul-Default-Acl-Policy'],
    ['x-consul-results-filtered-by-acls', 'X-Consul-Results-Filtered-By-Acls'],
    ['content-type', 'Content-Type'],
    ['www-authenticate', 'Www-Authenticate'],
    ['bad name', 'bad name'],
  ];
  for (const [input, want] of table) it(`${input} → ${want}`, () => assert.equal(canonicalHeaderKey(input), want));
  it('keeps values', () => assert.deepEqual(canonicalHeaders({ 'x-a': ['1', '2'] }), { 'X-A': ['1', '2'] }));
});

describe('consulWireHeaders', () => {
  it('types JSON without a charset and leaves empty bodies untyped', () => {
    assert.deepEqual(consulWireHeaders({ 'content-type': 'application/json; charset=utf-8', 'x-consul-index': '3' }), { 'Content-Type': 'application/json', 'X-Consul-Index': '3' });
    assert.deepEqual(consulWireHeaders({ 'content-type': 'text/plain; charset=utf-8', 'content-length': 0 }), { 'Content-Length': 0 });
    assert.deepEqual(consulWireHeaders({ 'content-type': 'text/plain; charset=utf-8', 'content-length': '4' }), { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '4' });
  });
});
