// The etcd settings of the agent configuration: flag, env and file forms, defaults and refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsthmusError } from '../../lib/errors.js';
import { flattenConfigFile, resolveAgentConfig } from './load.js';

describe('store.etcd configuration', () => {
  it('takes endpoints from the flag, defaults the prefix to the datacenter and the lease TTL to 5 s', () => {
    const c = resolveAgentConfig({ flags: { 'etcd-endpoints': 'http://h1:2379, http://h2:2379', datacenter: 'east' } });
    assert.deepEqual(c.etcd, { endpoints: ['http://h1:2379', 'http://h2:2379'], prefix: 'isthmus/east/', tls: { caFile: undefined, certFile: undefined, keyFile: undefined }, leaseTtlMs: 5000 });
    assert.equal(c.dataDir, undefined, 'no data dir is needed with etcd');
  });

  it('reads the file form (endpoints as an array, TLS files, TTL) and lets the env override endpoints', () => {
    const file = flattenConfigFile({ store: { etcd: { endpoints: ['https://e1:2379'], prefix: 'team-a', lease_ttl: '3s', tls: { ca_file: '/ca.pem', cert_file: '/c.pem', key_file: '/k.pem' } } } }, 'f.json');
    const c = resolveAgentConfig({ file });
    assert.deepEqual(c.etcd, { endpoints: ['https://e1:2379'], prefix: 'team-a/', tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' }, leaseTtlMs: 3000 });
    assert.deepEqual(resolveAgentConfig({ file, env: { ISTHMUS_ETCD_ENDPOINTS: 'http://e9:2379' } }).etcd?.endpoints, ['http://e9:2379']);
  });

  it('refuses malformed endpoints and a lease TTL under a second; stays off without endpoints', () => {
    const bad = (flags: Record<string, string>, re: RegExp): void =>
      assert.throws(() => resolveAgentConfig({ flags }), (e: unknown) => IsthmusError.is(e) && e.code === 'INVALID_ARGUMENT' && re.test(e.message));
    bad({ 'etcd-endpoints': 'h1:2379' }, /etcd endpoint "h1:2379" must look like http:\/\/host:port/);
    assert.throws(() => resolveAgentConfig({ flags: { 'etcd-endpoints': 'http://h:1' }, file: { 'store.etcd.lease_ttl': '500ms' } }), /lease_ttl must be at least 1s/);
    assert.equal(resolveAgentConfig({ flags: { dev: true } }).etcd, undefined);
  });
});
