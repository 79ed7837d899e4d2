// Durability with the sqlite store: kill -9 during 16 concurrent writers (group commit) loses no acknowledged write;
// a clean restart reopens the same data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAgent, tempDir } from '../support/agent-process.js';

type Obj = Record<string, unknown>;

async function put(addr: string, path: string, body: unknown): Promise<Response> {
  return fetch(addr + path, { method: 'PUT', body: JSON.stringify(body) });
}

describe('durability', () => {
  it('keeps every acknowledged registration after kill -9 mid-stream', async () => {
    const dir = tempDir('crash');
    try {
      const a = await startAgent(['--data-dir', dir.path, '--node', 'crashy']);
      const acked = new Set<string>();
      let lastIndex = 0;
      let stop = false;
      const worker = async (w: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          const node = `n-${w}-${i}`;
          try {
            const r = await put(a.httpAddr, '/v1/catalog/register', {
              Node: node,
              Address: `10.${w}.0.1`,
              Service: { Service: 'svc', ID: `svc-${w}-${i}`, Port: 1000 + i },
            });
            if (r.status === 200 && (await r.text()) === 'true') acked.add(node);
          } catch {
            return; // the server died under us: this write was never acknowledged
          }
        }
      };
      const workers = Array.from({ length: 16 }, (_, w) => worker(w));
      while (acked.size < 300) await new Promise((r) => setTimeout(r, 20));
      const idx = await fetch(`${a.httpAddr}/v1/catalog/nodes`);
      lastIndex = Number(idx.headers.get('x-consul-index'));
      await a.kill9();
      stop = true;
      await Promise.all(workers);
      assert.ok(acked.size >= 300);

      const b = await startAgent(['--data-dir', dir.path, '--node', 'crashy']);
      try {
        const res = await fetch(`${b.httpAddr}/v1/catalog/nodes`);
        const names = new Set(((await res.json()) as Obj[]).map((n) => n.Node as string));
        const missing = [...acked].filter((n) => !names.has(n));
        assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged registrations were lost`);
        assert.ok(Number(res.headers.get('x-consul-index')) >= lastIndex, 'X-Consul-Index did not go backwards across the crash');
        const svc = (await (await fetch(`${b.httpAddr}/v1/catalog/service/svc`)).json()) as Obj[];
        assert.ok(svc.length >= acked.size, 'services registered with the nodes survived too');
      } finally {
        await b.stop();
      }
    } finally {
      dir.remove();
    }
  });

  it('reopens the same data after a clean restart: node ID, services, check status', async () => {
    const dir = tempDir('restart');
    try {
      const a = await startAgent(['--data-dir', dir.path, '--node', 'steady']);
      await put(a.httpAddr, '/v1/agent/service/register', { Name: 'kept', Port: 81, Check: { CheckID: 'kept-ttl', TTL: '10m' } });
      await put(a.httpAddr, '/v1/agent/check/pass/kept-ttl?note=before-restart', undefined);
      const self1 = (await (await fetch(`${a.httpAddr}/v1/agent/self`)).json()) as { Config: Obj };
      assert.equal(await a.stop(), 0, 'SIGTERM stops the agent cleanly with exit code 0');
      assert.match(a.output(), /agent stopped/);

      const b = await startAgent(['--data-dir', dir.path, '--node', 'steady']);
      try {
        const self2 = (await (await fetch(`${b.httpAddr}/v1/agent/self`)).json()) as { Config: Obj };
        assert.equal(self2.Config.NodeID, self1.Config.NodeID, 'the node keeps its ID');
        const svc = (await (await fetch(`${b.httpAddr}/v1/agent/service/kept`)).json()) as Obj;
        assert.equal(svc.Port, 81);
        const checks = (await (await fetch(`${b.httpAddr}/v1/agent/checks`)).json()) as Record<string, Obj>;
        assert.equal(checks['kept-ttl']?.Status, 'passing');
        assert.equal(checks['kept-ttl']?.Output, 'before-restart');
        const pass = await put(b.httpAddr, '/v1/agent/check/fail/kept-ttl', undefined);
        assert.equal(pass.status, 200, 'the TTL check is live again after the restart');
      } finally {
        await b.stop();
      }
    } finally {
      dir.remove();
    }
  });
});
