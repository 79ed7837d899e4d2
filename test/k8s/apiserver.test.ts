// The API-server double, driven by the real kubectl (and raw HTTP where kubectl hides the wire shape).
import { strict as assert } from 'node:assert';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ApiServer } from './apiserver/server.js';
import { rendered } from './fixtures.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

const ACCEPTOR = (name: string, secret = 'peering-token', extra = ''): string =>
  `apiVersion: consul.hashicorp.com/v1alpha1\nkind: PeeringAcceptor\nmetadata:\n  name: ${name}\n${extra}spec:\n  peer:\n    secret:\n      name: ${secret}\n      key: data\n      backend: kubernetes\n`;

describe('API-server double with the real kubectl', () => {
  let api: ApiServer;
  let k: Kubectl;
  let hook: https.Server | undefined;
  let hookPort = 0;
  const reviews: { apiVersion: string; request: { operation: string; name: string; namespace: string; object: { spec?: unknown } } }[] = [];

  before(async () => {
    api = new ApiServer({ bookmarkIntervalMs: 200, resolveService: (name, ns) => (name === 'r-isthmus-connect-injector' && ns === 'consul' ? `127.0.0.1:${hookPort}` : undefined) });
    await api.start();
    k = kubectlFor(api.kubeconfig());
    const r = await k(['apply', '-f', '-'], rendered().crds);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    hook?.close();
    await api.stop();
    k.cleanup();
  });

  it('serves discovery: kubectl api-resources lists the CRDs with short names', async () => {
    const r = await k(['api-resources', '--api-group=consul.hashicorp.com', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /peeringacceptors\s+peering-acceptor\s+consul\.hashicorp\.com\/v1alpha1\s+true\s+PeeringAcceptor/);
    assert.match(r.stdout, /meshes\s+consul\.hashicorp\.com\/v1alpha1\s+true\s+Mesh/);
    const v = await k(['version', '-o', 'json']);
    assert.equal((JSON.parse(v.stdout) as { serverVersion: { minor: string } }).serverVersion.minor, '32');
  });

  it('CRDs are Established (kubectl wait)', async () => {
    const r = await k(['wait', '--for=condition=Established', 'crd/peeringacceptors.consul.hashicorp.com', '--timeout=10s']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('creates, reads and prints a CR as a Table with the printer columns', async () => {
    assert.equal((await k(['apply', '-f', '-'], ACCEPTOR('t1'))).stdout.trim(), 'peeringacceptor.consul.hashicorp.com/t1 created');
    const r = await k(['get', 'peering-acceptor']);
    assert.match(r.stdout, /^NAME\s+SYNCED\s+LAST SYNCED\s+AGE\n/);
    assert.match(r.stdout, /\nt1\s+\d+s\n/);
    const status = await fetch(`${api.url}/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringacceptors/t1/status`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { conditions: [{ type: 'Synced', status: 'True' }], lastSyncedTime: new Date().toISOString() } }),
    });
    assert.equal(status.status, 200);
    assert.match((await k(['get', 'peeringacceptors', 't1'])).stdout, /\nt1\s+True\s+\d+s\s+\d+s\n/);
    const again = await k(['apply', '-f', '-'], ACCEPTOR('t1'));
    assert.equal(again.stdout.trim(), 'peeringacceptor.consul.hashicorp.com/t1 unchanged');
  });

  it('refuses CRs that break the schema: 422 with details.causes, strict unknown fields 400', async () => {
    const bad = await k(['apply', '-f', '-'], 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: PeeringAcceptor\nmetadata:\n  name: bad\nspec:\n  peer:\n    secret:\n      name: 5\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The PeeringAcceptor "bad" is invalid: spec\.peer\.secret\.name: Invalid value: "integer": spec\.peer\.secret\.name in body must be of type string: "integer"/);
    const typo = await k(['apply', '-f', '-'], 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: PeeringAcceptor\nmetadata:\n  name: bad\nspec:\n  peer:\n    secrett: {}\n');
    assert.match(typo.stderr, /strict decoding error: unknown field "spec\.peer\.secrett"/);
    const raw = await fetch(`${api.url}/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringacceptors`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'PeeringAcceptor', metadata: { name: 'Bad_Name' }, spec: {} }),
    });
    assert.equal(raw.status, 422);
    const st = (await raw.json()) as { kind: string; reason: string; details: { causes: { reason: string; field: string }[] } };
    assert.equal(st.kind, 'Status');
    assert.equal(st.reason, 'Invalid');
    assert.deepEqual(st.details.causes.map((c) => [c.reason, c.field]), [['FieldValueInvalid', 'metadata.name'], ['FieldValueRequired', 'spec.peer']]);
    const nf = await k(['get', 'peeringacceptor', 'nope']);
    assert.match(nf.stderr, /Error from server \(NotFound\): peeringacceptors\.consul\.hashicorp\.com "nope" not found/);
    const ns = await k(['apply', '-n', 'missing', '-f', '-'], ACCEPTOR('x'));
    assert.match(ns.stderr, /namespaces "missing" not found/);
  });

  it('merge and JSON patches; generation moves with spec only; stale resourceVersion gives 409', async () => {
    await k(['apply', '-f', '-'], ACCEPTOR('t2'));
    const gen = async (): Promise<string> => (await k(['get', 'peeringacceptor', 't2', '-o', 'jsonpath={.metadata.generation}'])).stdout;
    assert.equal(await gen(), '1');
    assert.equal((await k(['annotate', 'peeringacceptor', 't2', 'consul.hashicorp.com/peering-version=1'])).code, 0);
    assert.equal(await gen(), '1', 'metadata changes leave generation alone');
    assert.equal((await k(['patch', 'peeringacceptor', 't2', '--type=merge', '-p', '{"spec":{"peer":{"secret":{"key":"k2"}}}}'])).code, 0);
    assert.equal(await gen(), '2');
    assert.equal((await k(['patch', 'peeringacceptor', 't2', '--type=json', '-p', '[{"op":"replace","path":"/spec/peer/secret/name","value":"other"}]'])).code, 0);
    assert.equal(await gen(), '3');
    const obj = yaml.load((await k(['get', 'peeringacceptor', 't2', '-o', 'yaml'])).stdout) as { metadata: { resourceVersion: string }; spec: { peer: { secret: Record<string, string> } } };
    assert.deepEqual(obj.spec.peer.secret, { name: 'other', key: 'k2', backend: 'kubernetes' });
    const stale = yaml.dump({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(Number(obj.metadata.resourceVersion) - 1) } });
    const r = await k(['replace', '-f', '-'], stale);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Operation cannot be fulfilled on peeringacceptors\.consul\.hashicorp\.com "t2": the object has been modified; please apply your changes to the latest version and try again/);
    const badPatch = await k(['patch', 'peeringacceptor', 't2', '--type=json', '-p', '[{"op":"replace","path":"/spec/nope/x","value":1}]']);
    assert.equal(badPatch.code, 1);
  });

  it('status subresource: the main endpoint ignores status, /status ignores spec', async () => {
    await k(['apply', '-f', '-'], ACCEPTOR('t3'));
    await k(['patch', 'peeringacceptor', 't3', '--type=merge', '-p', '{"status":{"lastSyncedTime":"2020-01-01T00:00:00Z"}}']);
    assert.equal((await k(['get', 'peeringacceptor', 't3', '-o', 'jsonpath={.status}'])).stdout, '');
    const r = await k(['patch', 'peeringacceptor', 't3', '--subresource=status', '--type=merge', '-p', '{"status":{"latestPeeringVersion":4},"spec":{"peer":{"secret":{"name":"zzz"}}}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await k(['get', 'peeringacceptor', 't3', '-o', 'jsonpath={.status.latestPeeringVersion}/{.spec.peer.secret.name}/{.metadata.generation}'])).stdout, '4/peering-token/1');
  });

  it('finalizers hold a delete (deletionTimestamp) until removed; kubectl delete waits', async () => {
    await k(['apply', '-f', '-'], ACCEPTOR('t4', 'peering-token', '  finalizers: ["finalizers.consul.hashicorp.com"]\n'));
    const d = await k(['delete', 'peeringacceptor', 't4', '--wait=false']);
    assert.equal(d.code, 0, d.stderr);
    assert.match((await k(['get', 'peeringacceptor', 't4', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout, /^\d{4}-\d\d-\d\dT/);
    const add = await k(['patch', 'peeringacceptor', 't4', '--type=merge', '-p', '{"metadata":{"finalizers":["finalizers.consul.hashicorp.com","other"]}}']);
    assert.match(add.stderr, /no new finalizers can be added if the object is being deleted/);
    const waiting = k(['delete', 'peeringacceptor', 't4', '--timeout=30s']);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal((await k(['patch', 'peeringacceptor', 't4', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]'])).code, 0);
    const w = await waiting;
    assert.equal(w.code, 0, w.stderr);
    assert.equal(api.get('consul.hashicorp.com', 'peeringacceptors', 'default', 't4'), undefined);
  });

  it('label and field selectors', async () => {
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\n  labels:\n    consul.hashicorp.com/peering-token: "true"\nstringData:\n  data: abc\n');
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s2\n  labels:\n    other: x\ndata:\n  data: YWJj\n');
    const names = async (args: string[]): Promise<string> => (await k(['get', 'secrets', ...args, '-o', 'jsonpath={.items[*].metadata.name}'])).stdout;
    assert.equal(await names(['-l', 'consul.hashicorp.com/peering-token=true']), 's1');
    assert.equal(await names(['-l', '!consul.hashicorp.com/peering-token']), 's2');
    assert.equal(await names(['-l', 'other in (x,y)']), 's2');
    assert.equal(await names(['--field-selector', 'metadata.name=s2']), 's2');
    assert.equal(await names(['--field-selector', 'metadata.name!=s2']), 's1');
    assert.equal((await k(['get', 'secret', 's1', '-o', 'jsonpath={.data.data}'])).stdout, Buffer.from('abc').toString('base64'));
    const tbl = await k(['get', 'secrets']);
    assert.match(tbl.stdout, /^NAME\s+TYPE\s+DATA\s+AGE\ns1\s+Opaque\s+1\s+\d+s\n/);
  });

  it('watches: prompt headers, events from a resourceVersion, bookmarks, 410 for a compacted version', async () => {
    const ac = new AbortController();
    const list = (await (await fetch(`${api.url}/api/v1/namespaces/default/secrets`)).json()) as { metadata: { resourceVersion: string } };
    const res = await fetch(`${api.url}/api/v1/namespaces/default/secrets?watch=true&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}&labelSelector=w%3D1`, { signal: ac.signal });
    assert.equal(res.status, 200, 'headers arrive before any event');
    const reader = res.body?.getReader();
    assert.ok(reader);
    const created = await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: w1\n  labels: {w: "1"}\n');
    assert.equal(created.code, 0, created.stderr);
    await k(['delete', 'secret', 'w1']);
    const seen: string[] = [];
    let buf = '';
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(seen.includes('DELETED') && seen.includes('BOOKMARK'))) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, i)) as { type: string; object: { metadata: { name?: string } } };
        buf = buf.slice(i + 1);
        seen.push(ev.type === 'BOOKMARK' ? 'BOOKMARK' : `${ev.type}`);
        if (ev.type !== 'BOOKMARK') assert.equal(ev.object.metadata.name, 'w1', 'the label selector filters the stream');
      }
    }
    ac.abort();
    assert.deepEqual(seen.filter((s) => s !== 'BOOKMARK'), ['ADDED', 'DELETED']);
    assert.ok(seen.includes('BOOKMARK'));
    const gone = await (await fetch(`${api.url}/api/v1/namespaces/default/secrets?watch=true&resourceVersion=1`)).text();
    assert.match(gone, /"type":"ERROR".*"code":410/);
    const w = k(['get', 'secrets', '--watch', '--request-timeout=3s', '-o', 'name']);
    await new Promise((r) => setTimeout(r, 500));
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: w2\n');
    assert.match((await w).stdout, /secret\/w2/);
  });

  it('calls admission webhooks with AdmissionReview over HTTPS (chart config, caBundle verified) and honours denials', async () => {
    const { cert, key, webhookConfig } = rendered();
    hook = https.createServer({ cert, key }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const review = JSON.parse(body) as (typeof reviews)[number] & { request: { uid: string } };
        reviews.push(review);
        const deny = JSON.stringify(review.request.object.spec).includes('deny-me');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: !deny, ...(deny ? { status: { code: 400, message: 'nope, not that one' } } : {}) } }));
      });
    });
    await new Promise<void>((r) => hook?.listen(0, '127.0.0.1', r));
    hookPort = (hook.address() as AddressInfo).port;
    const cfg = { ...webhookConfig, webhooks: (webhookConfig.webhooks as { admissionReviewVersions: string[] }[]).map((w) => ({ ...w, admissionReviewVersions: ['v1'] })) };
    assert.equal((await k(['apply', '-f', '-'], yaml.dump(cfg))).code, 0);
    const ok = await k(['apply', '-f', '-'], ACCEPTOR('hooked'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(reviews.at(-1)?.apiVersion, 'admission.k8s.io/v1');
    assert.deepEqual([reviews.at(-1)?.request.operation, reviews.at(-1)?.request.name, reviews.at(-1)?.request.namespace], ['CREATE', 'hooked', 'default']);
    const denied = await k(['apply', '-f', '-'], ACCEPTOR('denied', 'deny-me'));
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /admission webhook "r-isthmus-mutate-peeringacceptors\.consul\.hashicorp\.com" denied the request: nope, not that one/);
    assert.equal(api.get('consul.hashicorp.com', 'peeringacceptors', 'default', 'denied'), undefined);
    hook.close();
    hook.closeAllConnections();
    const down = await k(['apply', '-f', '-'], ACCEPTOR('down', 'x'));
    assert.match(down.stderr, /Internal error occurred: failed calling webhook "r-isthmus-mutate-peeringacceptors\.consul\.hashicorp\.com": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/mutate-v1alpha1-peeringacceptors": connect ECONNREFUSED/);
    await k(['delete', 'mutatingwebhookconfiguration', 'r-isthmus-connect-injector']);
  });

  it('deleting a CRD removes its resources and its API', async () => {
    assert.equal((await k(['delete', 'crd', 'peeringacceptors.consul.hashicorp.com'])).code, 0);
    const r = await k(['get', 'peeringacceptors']);
    assert.match(r.stderr, /NotFound/);
    const gv = (await (await fetch(`${api.url}/apis/consul.hashicorp.com/v1alpha1`)).json()) as { resources: { name: string }[] };
    assert.ok(!gv.resources.some((x) => x.name === 'peeringacceptors'));
    assert.ok(gv.resources.some((x) => x.name === 'peeringdialers'));
  });
});
