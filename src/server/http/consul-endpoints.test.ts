// Which unknown paths are Consul endpoints Isthmus lacks (501) and which are typos (404).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unimplementedConsulEndpoint } from './consul-endpoints.js';

describe('unimplementedConsulEndpoint', () => {
  const routes = ['/v1/acl/policy/:id', '/v1/acl/policy/name/:name', '/v1/catalog/service/:name', '/v1/status/leader'];
  const table: [string, string | undefined][] = [
    ['/v1/session/list', '/v1/session/list'],
    ['/v1/session/info/abc', '/v1/session/info/'],
    ['/v1/operator/raft/configuration', '/v1/operator/raft/configuration'],
    ['/v1/kv/some/key', '/v1/kv/'],
    ['/v1/catalog/servicez', undefined],
    ['/v1/acl/policy/name/a/b', undefined],
    ['/v1/status/leader', undefined],
    ['/v1/nope', undefined],
  ];
  for (const [path, want] of table) it(`${path} → ${want ?? 'typo'}`, () => assert.equal(unimplementedConsulEndpoint(path, routes), want));
});
