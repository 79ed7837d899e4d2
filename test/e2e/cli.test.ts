// The `isthmus` CLI against a real agent: output formats, exit codes, and agent start-up errors.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';

let agent: AgentProcess;
const dir = tempDir('cli');
let env: Record<string, string>;

before(async () => {
  agent = await startAgent(['--dev', '--node', 'cli-node']);
  env = { ISTHMUS_HTTP_ADDR: agent.httpAddr };
});
after(async () => {
  await agent.stop();
  dir.remove();
});

describe('isthmus services and catalog commands', () => {
  it('registers services from a Consul-style JSON file and lists them', () => {
    const file = join(dir.path, 'web.json');
    writeFileSync(file, JSON.stringify({ service: { name: 'web', id: 'web-1', port: 8080, tags: ['edge'], meta: { Team_Name: 'core' } } }));
    const r = runCli(['services', 'register', file], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Registered service: web');
    const list = runCli(['catalog', 'services'], env);
    assert.deepEqual(list.stdout.trim().split('\n'), ['web']);
    const tags = runCli(['catalog', 'services', '--tags'], env);
    assert.match(tags.stdout, /web\s+edge/);
    const json = runCli(['catalog', 'services', '--format', 'json'], env);
    assert.deepEqual(JSON.parse(json.stdout), { web: ['edge'] });
  });

  it('registers from flags, accepts Consul single-dash flags, and deregisters', () => {
    const r = runCli(['services', 'register', '-name=api', '-port=9000', '-tag=a', '-tag=b', `-http-addr=${agent.httpAddr}`]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(runCli(['catalog', 'services', '--format=json'], env).stdout) as Record<string, string[]>;
    assert.deepEqual(json.api, ['a', 'b']);
    const d = runCli(['services', 'deregister', '--id', 'api'], env);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'Deregistered service: api');
  });

  it('lists nodes as a table and as JSON', () => {
    const t = runCli(['catalog', 'nodes'], env);
    assert.match(t.stdout, /^Node\s+ID\s+Address\s+DC\ncli-node\s+[0-9a-f]{8}\s+127\.0\.0\.1\s+dc1$/m);
    const j = JSON.parse(runCli(['catalog', 'nodes', '--format', 'json'], env).stdout) as { Node: string }[];
    assert.deepEqual(
      j.map((n) => n.Node),
      ['cli-node'],
    );
  });

  it('exits 1 with the server message on an API error', () => {
    const r = runCli(['services', 'deregister', '--id', 'ghost'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unknown service ID "ghost"/);
  });

  it('exits 1 on usage errors as Consul does, 127 on an unknown command', () => {
    const bad = runCli(['catalog', 'services', '--nope'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^flag provided but not defined: -nope\n/);
    assert.equal(runCli(['services', 'register'], env).code, 1);
    const fmt = runCli(['catalog', 'services', '--format', 'yaml'], env);
    assert.equal(fmt.code, 1);
    assert.equal(fmt.stderr, 'Invalid format, valid formats are {json|pretty}\n');
    const unknown = runCli(['frobnicate'], env);
    assert.equal(unknown.code, 127);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it('exits 1 with a clear message when no server answers', () => {
    const r = runCli(['catalog', 'services'], { ISTHMUS_HTTP_ADDR: 'http://127.0.0.1:1' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Get "http:\/\/127\.0\.0\.1:1\/v1\/catalog\/services": dial tcp 127\.0\.0\.1:1: connect: connection refused/);
  });
});

describe('isthmus agent start-up', () => {
  it('rejects unknown config file keys with a clear message', () => {
    const file = join(dir.path, 'bad.json');
    writeFileSync(file, JSON.stringify({ datacenter: 'x', colour: 'blue' }));
    const r = runCli(['agent', '--dev', '--config-file', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid configuration file ".*bad\.json": unknown key "colour"/);
  });

  it('takes settings from the config file, with flags winning', async () => {
    const file = join(dir.path, 'good.json');
    writeFileSync(file, JSON.stringify({ datacenter: 'from-file', node_name: 'file-node', ports: { http: 0 } }));
    const a = await startAgent(['--dev', '--config-file', file, '--node', 'flag-node']);
    try {
      const self = (await (await fetch(`${a.httpAddr}/v1/agent/self`)).json()) as { Config: Record<string, unknown> };
      assert.equal(self.Config.Datacenter, 'from-file');
      assert.equal(self.Config.NodeName, 'flag-node');
    } finally {
      await a.stop();
    }
  });

  it('exits 1 with the reason, and leaves nothing running, when a port is taken', () => {
    const port = new URL(agent.httpAddr).port;
    const started = Date.now();
    const r = runCli(['agent', '--dev', '--node', 'clash', '--http-port', port, '--grpc-tls-port', '0', '--dns-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.ok(Date.now() - started < 15_000, 'the process exits instead of hanging on open handles');
  });

  it('requires --data-dir without --dev', () => {
    const r = runCli(['agent', '--http-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /data_dir \(--data-dir\) is required unless --dev is set/);
  });
});
