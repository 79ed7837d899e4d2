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

describe('filter hardening (issue 10)', () => {
  const svc = { ServiceName: 'a'.repeat(40) + '!', Meta: { toString: 'x' } };
  it('refuses regular expressions that backtrack exponentially, at compile time, and still runs safe ones', () => {
    for (const bad of ['(a+)+$', '(a*)*b', '(a|aa)*$', '((ab)*c)+', '(a{2,})+', '(x+x+)+y', '(\\\\w+)\\\\1', '(?=a)a', '(?<!b)a', 'x'.repeat(1100)]) {
      const started = Date.now();
      assert.throws(() => compileFilter(`ServiceName matches "${bad}"`), (e: Error) => /^Failed to create boolean expression evaluator: regular expression ".*" (repeats|uses|is longer)/.test(e.message), bad);
      assert.ok(Date.now() - started < 100);
    }
    for (const ok of ['^a+!$', '(ab)+', '[a-z]+(\\\\.[a-z])*', 'a|b', '(foo|bar)', '\\\\(a+\\\\)+']) {
      assert.doesNotThrow(() => compileFilter(`ServiceName matches "${ok}"`)(svc), ok);
    }
    assert.equal(compileFilter('ServiceName matches "^a+!$"')(svc), true);
  });
  it('refuses escapes Go would refuse in string literals with 400, not an exception', () => {
    for (const bad of ['ServiceName matches "\\d"', 'Meta["\\q"] == x', 'ServiceName == "\\x"']) {
      assert.throws(() => compileFilter(bad), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && e.message.startsWith('Failed to create boolean expression evaluator: invalid string literal'), bad);
    }
  });
  it('selects own fields only', () => {
    assert.equal(compileFilter('Meta.toString == "x"')(svc), true);
    assert.equal(compileFilter('ServiceName.length is not empty')(svc), false);
    assert.equal(compileFilter('constructor is empty')(svc), true);
  });
});
