// ACL rules keyed by names that are JS built-ins (issue 10, class 2): `toString`, `constructor` or
// `__proto__` are ordinary service names, never inherited rules or a switched prototype.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthorizer, mergeRules } from './authorizer.js';
import { parseRules } from './rules.js';

const authz = async (text: string, defaultPolicy: 'allow' | 'deny' = 'deny') =>
  createAuthorizer({ accessorId: 'a', anonymous: false, implicit: false, rules: mergeRules([await parseRules(text)]), defaultPolicy });

describe('ACL rules and built-in names', () => {
  it('a policy for "web" grants nothing on toString/constructor/__proto__ under default deny', async () => {
    const a = await authz('service "web" { policy = "write" }\nservice_prefix "" { policy = "deny" }');
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      assert.equal(a.allowed('service', 'read', name), false, name);
      assert.equal(a.allowed('service', 'write', name), false, name);
    }
    assert.equal(a.allowed('service', 'write', 'web'), true);
  });

  it('a rule for "__proto__" applies to that name only and switches no prototype', async () => {
    const a = await authz('service "__proto__" { policy = "write" }\nservice "toString" { policy = "read" }');
    assert.equal(a.allowed('service', 'write', '__proto__'), true);
    assert.equal(a.allowed('service', 'read', 'toString'), true);
    assert.equal(a.allowed('service', 'write', 'toString'), false);
    assert.equal(a.allowed('service', 'read', 'policy'), false, 'the __proto__ rule body is not inherited by other names');
    assert.equal(a.allowed('service', 'read', 'web'), false);
    assert.equal(({} as Record<string, unknown>).policy, undefined);
  });

  it('JSON rules with the same names behave the same', async () => {
    const a = await authz('{"service": {"__proto__": {"policy": "write"}, "constructor": {"policy": "read"}}}');
    assert.equal(a.allowed('service', 'write', '__proto__'), true);
    assert.equal(a.allowed('service', 'read', 'constructor'), true);
    assert.equal(a.allowed('service', 'read', 'other'), false);
  });
});
