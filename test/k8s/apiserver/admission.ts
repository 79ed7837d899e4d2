// Calls admission webhooks (AdmissionReview over HTTPS, verified against the caBundle) as the API server does.
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { jsonPatch } from './patch.js';
import { selectorMatches, type LabelSelector } from './selectors.js';
import { ApiStatusError, type KObject, type ResourceType } from './types.js';

export interface Webhook {
  name: string;
  clientConfig: { url?: string; service?: { name: string; namespace: string; path?: string; port?: number }; caBundle?: string };
  rules?: { apiGroups?: string[]; apiVersions?: string[]; operations?: string[]; resources?: string[] }[];
  failurePolicy?: string;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  admissionReviewVersions?: string[];
  timeoutSeconds?: number;
}

/** Where a Service reference points on this machine (there is no cluster network): "<name>.<ns>" → "host:port". */
export type ServiceResolver = (name: string, namespace: string, port: number) => string | undefined;

const anyOr = (list: string[] | undefined, v: string): boolean => !list || list.includes('*') || list.includes(v);

/** Rules, then (as kube-apiserver) the object selector on the object's labels and the namespace selector on its namespace's labels. */
export function matches(w: Webhook, t: ResourceType, operation: string, objectLabels: Record<string, string> = {}, namespaceLabels?: Record<string, string>): boolean {
  if (!(w.rules ?? []).some((r) => anyOr(r.apiGroups, t.group) && anyOr(r.apiVersions, t.version) && anyOr(r.operations, operation) && anyOr(r.resources, t.plural))) return false;
  if (!selectorMatches(w.objectSelector, objectLabels)) return false;
  return namespaceLabels === undefined || selectorMatches(w.namespaceSelector, namespaceLabels);
}

function post(url: URL, ca: string | undefined, servername: string | undefined, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, ...(ca ? { ca } : {}), ...(servername ? { servername } : {}), timeout: timeoutMs, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs one webhook; returns the (possibly patched) object, or throws the API server's error. */
export async function callWebhook(
  w: Webhook,
  mutating: boolean,
  t: ResourceType,
  operation: 'CREATE' | 'UPDATE',
  obj: KObject,
  old: KObject | undefined,
  resolve: ServiceResolver,
): Promise<KObject> {
  const version = (w.admissionReviewVersions ?? ['v1']).find((v) => v === 'v1' || v === 'v1beta1') ?? 'v1';
  let url: URL;
  let servername: string | undefined;
  try {
    if (w.clientConfig.url) url = new URL(w.clientConfig.url);
    else {
      const s = w.clientConfig.service;
      const port = s?.port ?? 443;
      const target = s ? resolve(s.name, s.namespace, port) : undefined;
      if (!s || !target) throw new Error(`service "${s?.namespace}/${s?.name}" not found`);
      url = new URL(`https://${target}${s.path ?? '/'}`);
      servername = `${s.name}.${s.namespace}.svc`;
    }
  } catch (err) {
    return fail(w, obj, `failed calling webhook "${w.name}": failed to call webhook: ${(err as Error).message}`);
  }
  const uid = randomUUID();
  const review = {
    apiVersion: `admission.k8s.io/${version}`,
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: t.group, version: t.version, kind: t.kind },
      resource: { group: t.group, version: t.version, resource: t.plural },
      requestKind: { group: t.group, version: t.version, kind: t.kind },
      requestResource: { group: t.group, version: t.version, resource: t.plural },
      name: obj.metadata.name ?? '',
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      operation,
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object: obj,
      oldObject: old ?? null,
      dryRun: false,
      options: { kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
  const ca = w.clientConfig.caBundle ? Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8') : undefined;
  let answer: { status: number; text: string };
  try {
    answer = await post(url, ca, servername, JSON.stringify(review), (w.timeoutSeconds ?? 10) * 1000);
  } catch (err) {
    return fail(w, obj, `failed calling webhook "${w.name}": failed to call webhook: Post "${url.href}": ${(err as Error).message}`);
  }
  let parsed: { apiVersion?: string; response?: { uid?: string; allowed?: boolean; status?: { code?: number; message?: string; reason?: string }; patch?: string; patchType?: string } };
  try {
    if (answer.status !== 200) throw new Error(`expected response code 200, got ${answer.status}`);
    parsed = JSON.parse(answer.text) as typeof parsed;
    if (parsed.response?.uid !== uid) throw new Error(`expected response.uid="${uid}", got "${parsed.response?.uid ?? ''}"`);
  } catch (err) {
    return fail(w, obj, `failed calling webhook "${w.name}": ${(err as Error).message}`);
  }
  const r = parsed.response;
  if (!r.allowed) {
    const deniedBy = `admission webhook "${w.name}" denied the request`;
    const code = (r.status?.code ?? 0) < 400 ? 400 : (r.status?.code as number);
    const message = r.status?.message ? `${deniedBy}: ${r.status.message}` : r.status?.reason ? `${deniedBy}: ${r.status.reason}` : `${deniedBy} without explanation`;
    throw new ApiStatusError(code, r.status?.reason ?? '', message);
  }
  if (mutating && r.patch) {
    if (r.patchType !== 'JSONPatch') return fail(w, obj, `failed calling webhook "${w.name}": unsupported patch type "${r.patchType ?? ''}"`);
    return jsonPatch(obj, JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8'))) as KObject;
  }
  return obj;
}

function fail(w: Webhook, obj: KObject, message: string): KObject {
  if (w.failurePolicy === 'Ignore') return obj;
  throw new ApiStatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: '', message, field: '' }] });
}
