// Benchmark: the connect-inject webhook (POST /mutate, an AdmissionReview of an annotated pod → JSON patch over
// HTTPS) under concurrent load from wrk, against a bare node:https server that reads the same request body and
// sends the very same response bytes, in one run.
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '../src/lib/log.js';
import type { KubeApi } from '../src/k8s/kube.js';
import { WebhookServer } from '../src/k8s/webhook.js';
import { rendered } from '../test/k8s/fixtures.js';
import { fmt, printTable } from './stats.js';
import { wrk, type WrkResult } from './wrk.js';

const REVIEW = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '5f1c7b2e-0000-4000-8000-000000000001',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'default',
    operation: 'CREATE',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client-7c9d8f6b5-x2x7k', namespace: 'default', labels: { app: 'client', 'pod-template-hash': '7c9d8f6b5' }, annotations: { 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service-upstreams': 'backend.svc.east.peer:1234,api.svc:9000' } },
      spec: { serviceAccountName: 'client', containers: [{ name: 'client', image: 'example/client:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
    },
  },
};

export async function benchWebhook(tmp: string, opts: { seconds: number; connections: number }): Promise<Record<string, number>> {
  const { cert, key } = rendered();
  // The pods webhook reads only a namespace's labels from Kubernetes: answer those, nothing else is called.
  const kube = { namespaceLabels: async () => ({}) } as unknown as KubeApi;
  const hook = new WebhookServer({ kube, log: createLogger({ level: 'error' }), cert, key, host: '127.0.0.1', port: 0, enablePeering: false, inject: { image: 'isthmus:bench', serverAddr: 'http://isthmus-server:8500', defaultInject: false, tproxyDefault: true } });
  const { port } = await hook.start();
  const body = JSON.stringify(REVIEW);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/mutate', method: 'POST', rejectUnauthorized: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    });
    req.on('error', reject);
    req.end(body);
  });
  const parsed = JSON.parse(answer.toString()) as { response: { allowed: boolean; patch?: string } };
  if (!parsed.response.allowed || !parsed.response.patch) throw new Error(`the webhook did not inject: ${answer.toString()}`);
  const bare = https.createServer({ cert, key }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(answer));
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as AddressInfo).port;
  const script = join(tmp, 'webhook.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
  try {
    const load = (p: number, path: string, seconds: number): Promise<WrkResult> => wrk(`https://127.0.0.1:${p}${path}`, { seconds, connections: opts.connections, threads: 2, script });
    await load(barePort, '/', 1);
    await load(port, '/mutate', 1);
    const bs: WrkResult[] = [];
    const ws: WrkResult[] = [];
    for (let round = 0; round < 2; round++) {
      bs.push(await load(barePort, '/', opts.seconds));
      ws.push(await load(port, '/mutate', opts.seconds));
    }
    const best = (rs: WrkResult[]): WrkResult => rs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    const b = best(bs);
    const w = best(ws);
    printTable(`POST /mutate (pod injection, ${fmt(body.length / 1024, 1)} KiB in, ${fmt(answer.length / 1024, 1)} KiB out, HTTPS) — wrk -t2 -c${opts.connections}, ${opts.seconds}s × 2 rounds (best)`, ['server', 'req/s', 'p50 ms', 'p99 ms', 'errors'], [
      ['bare node:https (same response bytes)', fmt(b.reqPerSec), fmt(b.p50Ms, 2), fmt(b.p99Ms, 2), b.errors],
      ['isthmus connect-inject webhook', fmt(w.reqPerSec), fmt(w.p50Ms, 2), fmt(w.p99Ms, 2), w.errors],
    ]);
    const ratio = w.reqPerSec / b.reqPerSec;
    console.log(`ratio webhook/bare: ${fmt(ratio, 2)}`);
    return { webhook_inject_rps: w.reqPerSec, webhook_inject_ratio: ratio, webhook_inject_p99_ms: w.p99Ms };
  } finally {
    await hook.stop();
    bare.closeAllConnections();
    await new Promise<void>((r) => bare.close(() => r()));
  }
}
