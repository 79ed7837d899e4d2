// Pure tests of ACL rule parsing and evaluation (Consul's matching, merging and fallbacks).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthorizer, mergeRules, type DefaultPolicy } from './authorizer.js';
import { parseRules } from './rules.js';

async function authz(rules: string | string[], defaultPolicy: DefaultPolicy = 'deny') {
  const list = await Promise.all((Array.isArray(rules) ? rules : [rules]).map((r) => parseRules(r)));
  return createAuthorizer({ accessorId: 'a', anonymous: false, implicit: false, rules: mergeRules(list), defaultPolicy });
}

describe('ACL rules', () => {
  it('parses HCL and the equivalent JSON to the same rules', async () => {
    const hcl = await parseRules('service "web" {\n  policy = "write"\n}\nservice_prefix "" {\n  policy = "read"\n}\npeering = "write"\n');
    const json = await parseRules(JSON.stringify({ service: { web: { policy: 'write' } }, service_prefix: { '': { policy: 'read' } }, peering: 'write' }));
    assert.deepEqual(hcl, json);
  });

  it('refuses unknown rules, bad levels and broken HCL with a clear message', async () => {
    await assert.rejects(parseRules('database "x" {\n  policy = "read"\n}\n'), /Failed to parse ACL rules: unknown rule "database"/);
    await assert.rejects(parseRules('service "x" {\n  policy = "admin"\n}\n'), /Failed to parse ACL rules: Invalid service policy: "admin"/);
    await assert.rejects(parseRules('service "x" {'), /Failed to parse ACL rules: .*Unclosed configuration block/);
    await assert.rejects(parseRules('namespace "x" {\n  policy = "read"\n}\n'), /enterprise-only/);
  });

  it('lets an exact rule win over any prefix, and the longest prefix win otherwise', async () => {
    const a = await authz('service_prefix "" {\n  policy = "write"\n}\nservice_prefix "we" {\n  policy = "deny"\n}\nservice "web" {\n  policy = "read"\n}\n');
    assert.equal(a.allowed('service', 'read', 'web'), true);
    assert.equal(a.allowed('service', 'write', 'web'), false, 'exact read beats the prefix write');
    assert.equal(a.allowed('service', 'read', 'west'), false, 'longest prefix "we" denies');
    assert.equal(a.allowed('service', 'write', 'db'), true);
  });

  it('merges policies with deny > write > read on the same segment', async () => {
    const a = await authz(['service "web" {\n  policy = "read"\n}\n', 'service "web" {\n  policy = "write"\n}\n']);
    assert.equal(a.allowed('service', 'write', 'web'), true);
    const b = await authz(['service "web" {\n  policy = "write"\n}\n', 'service "web" {\n  policy = "deny"\n}\n']);
    assert.equal(b.allowed('service', 'read', 'web'), false);
  });

  it('falls back from peering and mesh to operator, and to the default policy otherwise', async () => {
    const op = await authz('operator = "write"\n');
    assert.equal(op.allowed('peering', 'write'), true);
    assert.equal(op.allowed('mesh', 'write'), true);
    const own = await authz('operator = "write"\npeering = "read"\n');
    assert.equal(own.allowed('peering', 'write'), false, 'a peering rule of its own wins over operator');
    assert.equal(own.allowed('peering', 'read'), true);
    const none = await authz('');
    assert.equal(none.allowed('peering', 'read'), false);
    const allow = await authz('', 'allow');
    assert.equal(allow.allowed('peering', 'write'), true);
  });

  it('derives intentions access from the service rule unless set', async () => {
    const a = await authz('service "web" {\n  policy = "write"\n}\nservice "db" {\n  policy = "read"\n  intentions = "write"\n}\nservice "x" {\n  policy = "deny"\n}\n');
    assert.equal(a.allowed('intention', 'read', 'web'), true);
    assert.equal(a.allowed('intention', 'write', 'web'), false, 'service write does not grant intentions write');
    assert.equal(a.allowed('intention', 'write', 'db'), true);
    assert.equal(a.allowed('intention', 'read', 'x'), false);
  });

  it('answers the imported-data rule: service:write anywhere, or read on everything', async () => {
    const writer = await authz('service "web" {\n  policy = "write"\n}\n');
    assert.equal(writer.serviceWriteAny(), true);
    assert.equal(writer.readAll('service'), false);
    const reader = await authz('service_prefix "" {\n  policy = "read"\n}\n');
    assert.equal(reader.serviceWriteAny(), false);
    assert.equal(reader.readAll('service'), true);
    const partial = await authz('service_prefix "" {\n  policy = "read"\n}\nservice "secret" {\n  policy = "deny"\n}\n');
    assert.equal(partial.readAll('service'), false, 'a deny anywhere means not everything is readable');
    const perName = await authz('service "web" {\n  policy = "read"\n}\n');
    assert.equal(perName.readAll('service'), false, 'per-name read rules do not open imported data');
  });

  it('grants list only for list-capable levels and write everything', async () => {
    const a = await authz('key_prefix "" {\n  policy = "list"\n}\n');
    assert.equal(a.allowed('key', 'list', 'x'), true);
    assert.equal(a.allowed('key', 'write', 'x'), false);
  });
});
