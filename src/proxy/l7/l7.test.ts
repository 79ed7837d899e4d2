import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpMatches, type HttpRequestView } from './match.js';
import { permitted } from './permissions.js';
import { applyHeaderModifiers, routeRequest, tcpTargets, type ChainView } from './route.js';

const req = (path: string, o: { method?: string; headers?: Record<string, string>; query?: string } = {}): HttpRequestView => ({
  method: o.method ?? 'GET',
  path,
  headers: o.headers ?? {},
  query: new URLSearchParams(o.query ?? ''),
});

test('path, header, query and method matches (AND within a match)', () => {
  assert.ok(httpMatches({ PathExact: '/a' }, req('/a')));
  assert.ok(!httpMatches({ PathExact: '/a' }, req('/a/b')));
  assert.ok(httpMatches({ PathPrefix: '/v2' }, req('/v2/x')));
  assert.ok(httpMatches({ PathRegex: '/u/[0-9]+' }, req('/u/42')));
  assert.ok(!httpMatches({ PathRegex: '/u/[0-9]+' }, req('/u/42/x')));
  assert.ok(httpMatches({ Header: [{ Name: 'X-Version', Exact: '2' }] }, req('/', { headers: { 'x-version': '2' } })));
  assert.ok(!httpMatches({ Header: [{ Name: 'x-version', Exact: '2' }] }, req('/')));
  assert.ok(httpMatches({ Header: [{ Name: 'x-version', Present: true, Invert: true }] }, req('/')));
  assert.ok(httpMatches({ Header: [{ Name: 'x', Prefix: 'ab' }, { Name: 'y', Suffix: 'cd' }] }, req('/', { headers: { x: 'abz', y: 'zcd' } })));
  assert.ok(httpMatches({ QueryParam: [{ Name: 'debug', Exact: '1' }] }, req('/', { query: 'debug=1' })));
  assert.ok(!httpMatches({ QueryParam: [{ Name: 'debug', Present: true }] }, req('/')));
  assert.ok(httpMatches({ Methods: ['POST', 'PUT'] }, req('/', { method: 'put' })));
  assert.ok(!httpMatches({ Methods: ['POST'], PathPrefix: '/a' }, req('/a', { method: 'GET' })));
});

test('permissions: first match wins; no match falls back to the default', () => {
  const perms = [
    { Action: 'deny', HTTP: { PathPrefix: '/admin' } },
    { Action: 'allow', HTTP: { PathPrefix: '/' } },
  ];
  assert.equal(permitted(perms, req('/admin/x'), true), false);
  assert.equal(permitted(perms, req('/ok'), false), true);
  assert.equal(permitted([{ Action: 'allow', HTTP: { Methods: ['GET'] } }], req('/', { method: 'DELETE' }), false), false);
});

const chain: ChainView = {
  ServiceName: 'front',
  Protocol: 'http',
  StartNode: 'router:front.default.default',
  Nodes: {
    'router:front.default.default': {
      Type: 'router',
      Name: 'front.default.default',
      Routes: [
        { Definition: { Match: { HTTP: { PathPrefix: '/v2' } }, Destination: { PrefixRewrite: '/' } }, NextNode: 'resolver:b.default.default.external.east' },
        { Definition: { Match: { HTTP: { Header: [{ Name: 'x-canary', Exact: '1' }] } } }, NextNode: 'resolver:v1.b.default.default.dc1' },
        { Definition: { Match: { HTTP: { PathPrefix: '/' } } }, NextNode: 'splitter:front.default.default' },
      ],
    },
    'splitter:front.default.default': {
      Type: 'splitter',
      Name: 'front.default.default',
      Splits: [
        { Weight: 90, NextNode: 'resolver:v1.b.default.default.dc1' },
        { Weight: 10, NextNode: 'resolver:v2.b.default.default.dc1', Definition: { RequestHeaders: { Set: { 'x-split': 'v2' } } } },
      ],
    },
    'resolver:b.default.default.external.east': { Type: 'resolver', Name: 'b', Resolver: { Target: 'b.default.default.external.east' } },
    'resolver:v1.b.default.default.dc1': { Type: 'resolver', Name: 'v1', Resolver: { Target: 'v1.b.default.default.dc1', Failover: { Targets: ['b.default.default.external.east'] } } },
    'resolver:v2.b.default.default.dc1': { Type: 'resolver', Name: 'v2', Resolver: { Target: 'v2.b.default.default.dc1' } },
  },
  Targets: {},
};

test('routes by path (with prefix rewrite) and header; the catch-all reaches the splitter', () => {
  const v2 = routeRequest(chain, req('/v2/users'));
  assert.deepEqual(v2?.targets, ['b.default.default.external.east']);
  assert.equal(v2?.path, '//users');
  assert.deepEqual(routeRequest(chain, req('/x', { headers: { 'x-canary': '1' } }))?.targets, ['v1.b.default.default.dc1', 'b.default.default.external.east']);
  assert.deepEqual(routeRequest(chain, req('/x'), () => 0.5)?.targets[0], 'v1.b.default.default.dc1');
  const low = routeRequest(chain, req('/x'), () => 0.95);
  assert.deepEqual(low?.targets, ['v2.b.default.default.dc1']);
  const h: Record<string, string | string[] | undefined> = { 'x-split': 'old', other: 'a' };
  applyHeaderModifiers(h, low?.requestHeaders ?? []);
  assert.equal(h['x-split'], 'v2');
});

test('the split boundary follows the weights exactly (0.01 % resolution)', () => {
  let v1 = 0;
  for (let i = 0; i < 10_000; i++) if (routeRequest(chain, req('/'), () => i / 10_000)?.targets[0] === 'v1.b.default.default.dc1') v1++;
  assert.equal(v1, 9_000);
  assert.deepEqual(tcpTargets({ ...chain, StartNode: 'resolver:v1.b.default.default.dc1' }), ['v1.b.default.default.dc1', 'b.default.default.external.east']);
});
