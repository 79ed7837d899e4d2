// The `isthmus acl` commands against a real agent with ACLs on and default deny (field report 14:
// denials name the permission, the resource and the token).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';

let agent: AgentProcess;
const dir = tempDir('acl-cli');
let mgmt = '';

before(async () => {
  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny' } }));
  agent = await startAgent(['--dev', '--node', 'acl-cli', '--config-file', cfg]);
});
after(async () => {
  await agent.stop();
  dir.remove();
});

const cli = (args: string[], token?: string) => runCli([...args, '--http-addr', agent.httpAddr, ...(token ? ['--token', token] : [])]);

describe('isthmus acl', () => {
  it('bootstraps once', () => {
    const r = cli(['acl', 'bootstrap', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout) as { SecretID: string; Description: string };
    assert.equal(t.Description, 'Bootstrap Token (Global Management)');
    mgmt = t.SecretID;
    const again = cli(['acl', 'bootstrap']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ACL bootstrap no longer allowed/);
  });

  it('creates a policy from an HCL file and a token linked to it, and that token can do exactly that', async () => {
    const rules = join(dir.path, 'rules.hcl');
    writeFileSync(rules, 'peering = "write"\nservice "web" {\n  policy = "write"\n}\n');
    assert.equal(cli(['acl', 'policy', 'create', '--name', 'peer-web', '--rules', `@${rules}`], mgmt).code, 0);
    const created = cli(['acl', 'token', 'create', '--description', 'peer + web', '--policy-name', 'peer-web', '--format', 'json'], mgmt);
    assert.equal(created.code, 0, created.stderr);
    const tok = JSON.parse(created.stdout) as { SecretID: string; AccessorID: string };
    assert.equal(cli(['peering', 'generate-token', '--name', 'other'], tok.SecretID).code, 0, 'peering:write works');
    assert.equal(cli(['services', 'register', '--name', 'web', '--port', '80'], tok.SecretID).code, 0, 'service:write on web works');
    const denied = cli(['services', 'register', '--name', 'db'], tok.SecretID);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, new RegExp(`Permission denied: token with AccessorID '${tok.AccessorID}' lacks permission 'service:write' on "db"`));
    // The agent's log arrives asynchronously (the CLI ran synchronously).
    await waitFor(async () => (/permission denied .*tokenSlot=X-Consul-Token .*resource=service access=write name=db/.test(agent.output()) ? true : undefined), 'the denial in the log, naming permission, resource and token slot');
    assert.ok(!agent.output().includes(tok.SecretID) && !agent.output().includes(mgmt), 'no secret reaches the log');
    const list = cli(['acl', 'policy', 'list'], mgmt);
    assert.match(list.stdout, /peer-web:/);
    const read = cli(['acl', 'token', 'read', '--accessor-id', tok.AccessorID], mgmt);
    assert.match(read.stdout, /Policies:\n\s+[0-9a-f-]+ - peer-web/);
    assert.equal(cli(['acl', 'token', 'delete', '--accessor-id', tok.AccessorID], mgmt).code, 0);
    assert.equal(cli(['peering', 'list'], tok.SecretID).code, 1, 'a deleted token is refused');
  });

  it('shows the anonymous token nothing under default deny', () => {
    const list = cli(['catalog', 'services']);
    assert.equal(list.code, 0, 'lists are filtered, not refused (as Consul does)');
    assert.equal(list.stdout.trim(), '');
    assert.match(cli(['catalog', 'services'], mgmt).stdout, /web/);
    const r = cli(['peering', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Permission denied: anonymous token lacks permission 'peering:read'\. The anonymous token is used implicitly/);
  });
});
