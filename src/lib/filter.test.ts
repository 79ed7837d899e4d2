// The ?filter= expression language on rendered objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter } from './filter.js';

const svc = { ServiceName: 'web', ServiceTags: ['v1', 'edge'], ServicePort: 8080, ServiceMeta: { version: '1.2', 'team-name': 'core' }, Checks: [{ Status: 'passing' }, { Status: 'critical' }], Empty: [] };

describe('compileFilter', () => {
  const cases: [string, boolean][] = [
    ['ServiceName == web', true],
    ['ServiceName == "web"', true],
    ['ServiceName != web', false],
    ['ServicePort == 8080', true],
    ['"v1" in ServiceTags', true],
    ['v2 in ServiceTags', false],
    ['v2 not in ServiceTags', true],
    ['ServiceTags contains edge', true],
    ['ServiceMeta.version == "1.2"', true],
    ['ServiceMeta["team-name"] == core', true],
    ['ServiceName matches "^w.b$"', true],
    ['ServiceName not matches "^x"', true],
    ['Empty is empty', true],
    ['ServiceTags is not empty', true],
    ['Missing is empty', true],
    ['Checks.Status == critical', true],
    ['ServiceName == web and not (v2 in ServiceTags)', true],
    ['ServiceName == db or ServicePort == 8080', true],
    ['ServiceName == db or (ServicePort == 1 and v1 in ServiceTags)', false],
  ];
  for (const [expr, want] of cases) it(`${expr} → ${want}`, () => assert.equal(compileFilter(expr)(svc), want));

  it('refuses malformed expressions with a clear message', () => {
    for (const bad of ['ServiceName ==', 'ServiceName ~ x', '(ServiceName == web', 'ServiceName matches "("']) {
      assert.throws(() => compileFilter(bad)(svc), (e: Error) => e.message.startsWith('Failed to create boolean expression evaluator'), bad);
    }
  });
});
