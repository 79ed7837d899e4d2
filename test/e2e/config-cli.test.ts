// `isthmus config` and `isthmus services export` against a real agent: JSON and HCL files, exit codes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';

let agent: AgentProcess;
const dir = tempDir('config-cli');
let env: Record<string, string>;

before(async () => {
  agent = await startAgent(['--dev', '--node', 'cfg']);
  env = { ISTHMUS_HTTP_ADDR: agent.httpAddr };
});
after(async () => {
  await agent.stop();
  dir.remove();
});

describe('isthmus config', () => {
  it('writes an HCL entry with blocks and reads it back as JSON', () => {
    const file = join(dir.path, 'mesh.hcl');
    writeFileSync(file, 'Kind = "mesh"\nPeering {\n  PeerThroughMeshGateways = true\n}\nMeta {\n  owner = "platform"\n}\n');
    const w = runCli(['config', 'write', file], env);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout.trim(), 'Config entry written: mesh/mesh');
    const r = runCli(['config', 'read', '--kind', 'mesh', '--name', 'mesh'], env);
    const entry = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(entry.Peering, { PeerThroughMeshGateways: true });
    assert.deepEqual(entry.Meta, { owner: 'platform' });
  });

  it('writes snake_case HCL the way Consul users write it', () => {
    const file = join(dir.path, 'intentions.hcl');
    writeFileSync(file, 'kind = "service-intentions"\nname = "db"\nsources = [\n  {\n    name   = "web"\n    peer   = "west"\n    action = "allow"\n  },\n]\n');
    const w = runCli(['config', 'write', file], env);
    assert.equal(w.code, 0, w.stderr);
    const list = runCli(['config', 'list', '--kind', 'service-intentions'], env);
    assert.equal(list.stdout.trim(), 'db');
  });

  it('writes JSON, and deletes', () => {
    const file = join(dir.path, 'defaults.json');
    writeFileSync(file, JSON.stringify({ Kind: 'service-defaults', Name: 'web', Protocol: 'http' }));
    assert.equal(runCli(['config', 'write', file], env).code, 0);
    const d = runCli(['config', 'delete', '--kind', 'service-defaults', '--name', 'web'], env);
    assert.equal(d.stdout.trim(), 'Config entry deleted: service-defaults/web');
    const gone = runCli(['config', 'read', '--kind', 'service-defaults', '--name', 'web'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Config entry not found for "service-defaults" \/ "web"/);
  });

  it('reports validation errors from the server with exit code 1, and parse errors with 2', () => {
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: '*' }] }] }));
    const r = runCli(['config', 'write', bad], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Services\[0\]\.Consumers\[0\]: exporting to all peers \(wildcard\) is not supported/);
    const broken = join(dir.path, 'broken.hcl');
    writeFileSync(broken, 'Kind = "mesh"\nPeering {\n');
    assert.equal(runCli(['config', 'write', broken], env).code, 1);
    const noName = runCli(['config', 'read', '--kind', 'mesh'], env);
    assert.equal(noName.code, 1, '-name is required');
    assert.equal(noName.stderr, 'Must specify the -name parameter\n');
  });
});

describe('isthmus services export', () => {
  it('creates the exported-services entry and merges later exports into it', () => {
    const a = runCli(['services', 'export', '--name', 'web', '--consumer-peers', 'west,east'], env);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim(), 'Successfully exported service "web" to cluster peers "west,east"');
    assert.equal(runCli(['services', 'export', '-name=api', '-consumer-peers=west'], env).code, 0);
    assert.equal(runCli(['services', 'export', '--name', 'web', '--consumer-peers', 'north'], env).code, 0);
    const entry = JSON.parse(runCli(['config', 'read', '--kind', 'exported-services', '--name', 'default'], env).stdout) as { Services: { Name: string; Consumers: { Peer: string }[] }[] };
    assert.deepEqual(
      entry.Services.map((s) => [s.Name, s.Consumers.map((c) => c.Peer)]),
      [
        ['web', ['west', 'east', 'north']],
        ['api', ['west']],
      ],
    );
  });

  it('requires a name and consumers', () => {
    assert.equal(runCli(['services', 'export', '--name', 'web'], env).code, 1);
    assert.equal(runCli(['services', 'export', '--consumer-peers', 'x'], env).code, 1);
  });
});
