// The `isthmus acl role | auth-method | binding-rule | token` commands against a real agent (ACLs on,
// default deny): Consul's flags, text and JSON output, and what a role-linked token may do.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRootCert, generateKey } from '../../src/server/ca/certs.js';
import { runCli, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';

let agent: AgentProcess;
const dir = tempDir('acl-roles-cli');
let mgmt = '';
const JWT = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"system:serviceaccount:consul:auth"}').toString('base64url')}.c2ln`;

before(async () => {
  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny' } }));
  agent = await startAgent(['--dev', '--node', 'acl-roles', '--config-file', cfg]);
  mgmt = (JSON.parse(runCli(['acl', 'bootstrap', '-format', 'json', '-http-addr', agent.httpAddr]).stdout) as { SecretID: string }).SecretID;
});
after(async () => {
  await agent.stop();
  dir.remove();
});

const cli = (args: string[], token = mgmt) => runCli([...args, '-http-addr', agent.httpAddr, '-token', token]);

describe('isthmus acl role', () => {
  let roleId = '';
  it('creates, reads, lists, updates and deletes a role', () => {
    assert.equal(cli(['acl', 'policy', 'create', '-name', 'kv-read', '-rules', 'key_prefix "" { policy = "read" }']).code, 0);
    const c = cli(['acl', 'role', 'create', '-name', 'web-role', '-description', 'for web', '-policy-name', 'kv-read', '-service-identity', 'web', '-node-identity', 'node1:dc1']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^ID:\s+[0-9a-f-]{36}\nName:\s+web-role\nDescription:\s+for web\nPolicies:\n\s+[0-9a-f-]{36} - kv-read\nService Identities:\n\s+web \(Datacenters: all\)\nNode Identities:\n\s+node1 \(Datacenter: dc1\)\n?$/);
    roleId = /^ID:\s+(\S+)/.exec(c.stdout)?.[1] ?? '';
    assert.match(cli(['acl', 'role', 'read', '-name', 'web-role']).stdout, new RegExp(`ID:\\s+${roleId}`));
    assert.match(cli(['acl', 'role', 'list']).stdout, /^web-role:\n\s+ID:/);
    const u = cli(['acl', 'role', 'update', '-id', roleId, '-service-identity', 'api', '-format', 'json']);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual((JSON.parse(u.stdout) as { ServiceIdentities: unknown }).ServiceIdentities, [{ ServiceName: 'web' }, { ServiceName: 'api' }]);
    const missing = cli(['acl', 'role', 'create', '-name', 'x']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Cannot create a role without specifying/);
    const dup = cli(['acl', 'role', 'create', '-name', 'web-role', '-service-identity', 'x']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Failed to create new role: Unexpected response code: 400 \(Invalid Role: A Role with Name "web-role" already exists\)/);
  });

  it('a token created with -role-name can do what the role grants and nothing else', () => {
    const t = cli(['acl', 'token', 'create', '-description', 'role token', '-role-name', 'web-role', '-format', 'json']);
    assert.equal(t.code, 0, t.stderr);
    const tok = JSON.parse(t.stdout) as { SecretID: string; Roles: { Name: string }[] };
    assert.deepEqual(tok.Roles.map((r) => r.Name), ['web-role']);
    assert.equal(cli(['services', 'register', '-name', 'api', '-port', '81'], tok.SecretID).code, 0, 'service:write on api via the role');
    const denied = cli(['services', 'register', '-name', 'db', '-port', '82'], tok.SecretID);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /lacks permission 'service:write' on "db"/);
    assert.match(cli(['acl', 'token', 'read', '-accessor-id', (JSON.parse(t.stdout) as { AccessorID: string }).AccessorID]).stdout, /Roles:\n\s+[0-9a-f-]{36} - web-role/);
    const accessor = (JSON.parse(t.stdout) as { AccessorID: string }).AccessorID;
    const u = cli(['acl', 'token', 'update', '-accessor-id', accessor, '-service-identity', 'cache', '-format', 'json']);
    assert.equal(u.code, 0, u.stderr);
    const upd = JSON.parse(u.stdout) as { Roles?: { Name: string }[]; ServiceIdentities?: { ServiceName: string }[] };
    assert.deepEqual([upd.Roles?.map((r) => r.Name), upd.ServiceIdentities], [['web-role'], [{ ServiceName: 'cache' }]], 'roles kept, identities replaced');
    const merged = JSON.parse(cli(['acl', 'token', 'update', '-accessor-id', accessor, '-service-identity', 'db', '-merge-service-identities', '-format', 'json']).stdout) as { ServiceIdentities: { ServiceName: string }[] };
    assert.deepEqual(merged.ServiceIdentities.map((s) => s.ServiceName), ['cache', 'db']);
    const d = cli(['acl', 'role', 'delete', '-id', roleId]);
    assert.equal(d.stdout.trim(), `Role "${roleId}" deleted successfully`);
    assert.equal(cli(['services', 'register', '-name', 'api', '-port', '81'], tok.SecretID).code, 1, 'the role is gone');
  });
});

describe('isthmus acl auth-method and binding-rule', () => {
  it('manages a kubernetes method and its rules with Consul flags', async () => {
    const ca = join(dir.path, 'ca.pem');
    writeFileSync(ca, (await createRootCert({ commonName: 'kube', trustDomain: 'kube.local', key: await generateKey(), ttlMs: 3_600_000 })).toString('pem'));
    const noType = cli(['acl', 'auth-method', 'create', '-name', 'k8s']);
    assert.equal(noType.code, 1);
    assert.match(noType.stderr, /Missing required '-type' flag/);
    const bad = cli(['acl', 'auth-method', 'create', '-type', 'kubernetes', '-name', 'k8s', '-kubernetes-host', 'https://127.0.0.1:6443', '-kubernetes-ca-cert', `@${ca}`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Config\.ServiceAccountJWT is required/);
    const c = cli(['acl', 'auth-method', 'create', '-type', 'kubernetes', '-name', 'k8s', '-description', 'kube', '-kubernetes-host', 'https://127.0.0.1:6443', '-kubernetes-ca-cert', `@${ca}`, '-kubernetes-service-account-jwt', JWT]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^Name:\s+k8s\nType:\s+kubernetes\nDescription:\s+kube\n/);
    assert.match(c.stdout, /Config:\n\{\n\s+"Host": "https:\/\/127\.0\.0\.1:6443"/);
    const u = cli(['acl', 'auth-method', 'update', '-name', 'k8s', '-max-token-ttl', '30m', '-format', 'json']);
    assert.equal(u.code, 0, u.stderr);
    const upd = JSON.parse(u.stdout) as { MaxTokenTTL: string; Description: string; Config: { Host: string } };
    assert.deepEqual([upd.MaxTokenTTL, upd.Description, upd.Config.Host], ['30m0s', 'kube', 'https://127.0.0.1:6443']);
    const r = cli(['acl', 'binding-rule', 'create', '-method', 'k8s', '-bind-type', 'service', '-bind-name', '${serviceaccount.name}', '-selector', 'serviceaccount.name!=default', '-format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { ID: string }).ID;
    assert.match(cli(['acl', 'binding-rule', 'read', '-id', id]).stdout, /BindName:\s+\$\{serviceaccount\.name\}\nSelector:\s+serviceaccount\.name!=default/);
    assert.match(cli(['acl', 'binding-rule', 'list', '-method', 'k8s']).stdout, new RegExp(`^${id}:\\n\\s+AuthMethod:\\s+k8s`));
    const badSel = cli(['acl', 'binding-rule', 'update', '-id', id, '-selector', 'pod.name==x']);
    assert.equal(badSel.code, 1);
    assert.match(badSel.stderr, /invalid Binding Rule: Selector is invalid: Selector "pod\.name" is not valid/);
    assert.equal(cli(['acl', 'binding-rule', 'delete', '-id', id]).stdout.trim(), `Binding rule "${id}" deleted successfully`);
    assert.equal(cli(['acl', 'auth-method', 'list', '-format', 'json']).stdout.includes('"Config"'), false);
    assert.equal(cli(['acl', 'auth-method', 'delete', '-name', 'k8s']).stdout.trim(), 'Auth method "k8s" deleted successfully');
  });

  it('login needs its flags; logout refuses a token that login did not create', () => {
    const l = cli(['login', '-method', 'k8s']);
    assert.equal(l.code, 1);
    assert.match(l.stderr, /Missing required '-token-sink-file' flag/);
    const o = cli(['logout']);
    assert.equal(o.code, 1);
    assert.match(o.stderr, /Error destroying token: Unexpected response code: 403 \(Permission denied\)/);
  });
});
