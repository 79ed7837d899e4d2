// An in-process stand-in for kube-apiserver that real kubectl and @kubernetes/client-node accept unchanged:
// discovery, OpenAPI v3, CRD registration, CRUD with merge/JSON patch, resourceVersion conflicts, generation,
// status subresource, finalizers and deletionTimestamp, watches with bookmarks, label/field selectors, Table
// output, Status errors with causes, CR schema validation and admission webhooks. HTTPS (or HTTP) on loopback.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { callWebhook, matches, type ServiceResolver, type Webhook } from './admission.js';
import { apiGroup, apiGroupList, apiVersions, openapi, resourceList } from './discovery.js';
import { jsonPatch, mergePatch } from './patch.js';
import { Registry } from './resources.js';
import { nameCauses, validateCustomResource } from './schema.js';
import { matcher } from './selectors.js';
import { toTable } from './table.js';
import { ServiceAccountTokens } from './tokens.js';
import { kubeconfigYaml, readBody, sendError, sendJson } from './wire.js';
import { ApiStatusError, gvString, qualified, type Json, type KObject, type ResourceType } from './types.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface Change {
  rv: number;
  typeKey: string;
  type: EventType;
  obj: KObject;
}
interface Watcher {
  typeKey: string;
  namespace: string | undefined;
  match: (o: KObject) => boolean;
  send: (type: string, obj: unknown) => void;
}

export interface ApiServerOptions {
  /** How often a watch that asked for bookmarks gets one (ms). */
  bookmarkIntervalMs?: number;
  /** Resolves webhook Service references to loopback addresses. */
  resolveService?: ServiceResolver;
  /** Serve HTTPS with this certificate (its CA goes into the kubeconfig); plain HTTP otherwise. */
  tls?: { cert: string; key: string; ca: string };
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const clone = <T>(v: T): T => structuredClone(v);
const HISTORY = 5000;

export class ApiServer {
  readonly registry = new Registry();
  /** Service-account tokens: TokenRequest (`kubectl create token`) and TokenReview. */
  readonly tokens = new ServiceAccountTokens((ns, name) => this.get('', 'serviceaccounts', ns, name));
  readonly #objects = new Map<string, KObject>();
  readonly #history: Change[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #server: http.Server | https.Server;
  readonly #opts: ApiServerOptions;
  #rv = 100;
  /** Every request line served, for tests that check what clients did. */
  readonly requests: string[] = [];
  url = '';

  constructor(opts: ApiServerOptions = {}) {
    this.#opts = opts;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.#handle(req, res).catch((err: unknown) => sendError(res, err));
    };
    this.#server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      this.#put(this.#type('', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: this.#newMeta({ name: ns, labels: { 'kubernetes.io/metadata.name': ns } }), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }, 'ADDED');
    }
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `${this.#opts.tls ? 'https' : 'http'}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.send('__end', undefined);
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** A kubeconfig for this server (its CA when serving HTTPS; no credentials). */
  kubeconfig(namespace = 'default'): string {
    return kubeconfigYaml(this.url, namespace, this.#opts.tls?.ca);
  }

  /** Direct read for assertions. */
  get(group: string, plural: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.#objects.get(this.#key(group, plural, namespace, name));
    return o ? clone(o) : undefined;
  }

  list(group: string, plural: string, namespace?: string): KObject[] {
    const t = this.registry.all().find((x) => x.group === group && x.plural === plural);
    if (!t) return [];
    return this.#list(t, namespace).map(clone);
  }

  // ---- storage ----

  #key(group: string, plural: string, namespace: string | undefined, name: string): string {
    return `${group}|${plural}|${namespace ?? ''}|${name}`;
  }

  #type(group: string, plural: string): ResourceType {
    const t = this.registry.all().find((x) => x.group === group && x.plural === plural);
    if (!t) throw new Error(`no type ${group}/${plural}`);
    return t;
  }

  #newMeta(m: Json): KObject['metadata'] {
    return { ...m, uid: randomUUID(), creationTimestamp: now() };
  }

  #list(t: ResourceType, namespace: string | undefined): KObject[] {
    const prefix = `${t.group}|${t.plural}|`;
    const out: KObject[] = [];
    for (const [k, o] of this.#objects) if (k.startsWith(prefix) && (namespace === undefined || o.metadata.namespace === namespace)) out.push(o);
    return out.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`));
  }

  #put(t: ResourceType, obj: KObject, type: EventType): KObject {
    const rv = ++this.#rv;
    obj.metadata.resourceVersion = String(rv);
    obj.apiVersion = gvString(t);
    obj.kind = t.kind;
    const key = this.#key(t.group, t.plural, obj.metadata.namespace, obj.metadata.name as string);
    if (type === 'DELETED') this.#objects.delete(key);
    else this.#objects.set(key, obj);
    const change: Change = { rv, typeKey: `${t.group}|${t.plural}`, type, obj: clone(obj) };
    this.#history.push(change);
    if (this.#history.length > HISTORY) this.#history.shift();
    for (const w of this.#watchers) {
      if (w.typeKey === change.typeKey && (w.namespace === undefined || w.namespace === obj.metadata.namespace) && w.match(change.obj)) w.send(type, change.obj);
    }
    return obj;
  }

  #delete(t: ResourceType, obj: KObject): KObject {
    const deleted = this.#put(t, clone(obj), 'DELETED');
    if (t.plural === 'customresourcedefinitions') {
      for (const ct of this.registry.all().filter((x) => x.crd === obj.metadata.name)) for (const o of this.#list(ct, undefined)) this.#put(ct, clone(o), 'DELETED');
      this.registry.unregisterCrd(obj.metadata.name as string);
    }
    if (t.plural === 'namespaces') {
      for (const ot of this.registry.all().filter((x) => x.namespaced)) for (const o of this.#list(ot, obj.metadata.name)) this.#put(ot, clone(o), 'DELETED');
    }
    return deleted;
  }

  // ---- HTTP ----

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    const p = url.pathname.replace(/\/+$/, '');
    const host = req.headers.host ?? '127.0.0.1';
    if (await this.tokens.handle(req, res, p)) return;
    if (method === 'GET') {
      if (p === '/version') return sendJson(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.3-isthmus-double', platform: 'linux/amd64' });
      if (p === '/api') return sendJson(res, 200, apiVersions(host));
      if (p === '/apis') return sendJson(res, 200, apiGroupList(this.registry));
      if (p === '/healthz' || p === '/readyz' || p === '/livez') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('ok');
      }
      if (p === '/openapi/v3' || p.startsWith('/openapi/v3/')) {
        const doc = openapi(this.registry, p === '/openapi/v3' ? undefined : p.slice('/openapi/v3/'.length));
        if (!doc) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, doc);
      }
      if (p === '/openapi/v2') throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
      if (p === '/api/v1') return sendJson(res, 200, resourceList(this.registry, '', 'v1'));
      const g = /^\/apis\/([^/]+)$/.exec(p);
      if (g) {
        const doc = apiGroup(this.registry, g[1] as string);
        if (!doc) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, doc);
      }
      const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
      if (gv) {
        const doc = resourceList(this.registry, gv[1] as string, gv[2] as string);
        if (!doc) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, doc);
      }
    }
    // /api/v1/... or /apis/<group>/<version>/... then [namespaces/<ns>/]<plural>[/<name>[/status]]
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(p);
    if (!m) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
    const group = m[2] ?? '';
    const version = m[1] ?? (m[3] as string);
    let rest = (m[4] as string).split('/').map(decodeURIComponent);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
    const t = this.registry.find(group, version, plural);
    if (!t || rest.length > 3 || (sub !== undefined && (sub !== 'status' || !t.status)) || (!t.namespaced && namespace !== undefined)) {
      throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const q = url.searchParams;
    if (name === undefined) {
      if (method === 'GET') return q.get('watch') === 'true' || q.get('watch') === '1' ? this.#watch(req, res, t, namespace, q) : this.#sendList(req, res, t, namespace, q);
      if (method === 'POST') {
        if (t.namespaced && namespace === undefined) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
        return this.#create(res, t, namespace, (await readBody(req)) as KObject, q);
      }
      throw new ApiStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    if (t.namespaced && namespace === undefined) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
    const key = this.#key(t.group, t.plural, namespace, name);
    const current = this.#objects.get(key);
    const notFound = (): never => {
      throw new ApiStatusError(404, 'NotFound', `${qualified(t)} "${name}" not found`, { name, group: t.group, kind: t.plural });
    };
    if (method === 'GET') {
      if (!current) notFound();
      return this.#sendObject(req, res, 200, t, current as KObject);
    }
    if (method === 'DELETE') {
      if (!current) notFound();
      const opts = (await readBody(req)) as { preconditions?: { resourceVersion?: string; uid?: string } } | undefined;
      const pre = opts?.preconditions;
      if (pre?.resourceVersion && pre.resourceVersion !== current?.metadata.resourceVersion) throw this.#conflict(t, name);
      if (pre?.uid && pre.uid !== current?.metadata.uid) throw new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current?.metadata.uid}`);
      const cur = current as KObject;
      if ((cur.metadata.finalizers ?? []).length > 0) {
        if (cur.metadata.deletionTimestamp) return sendJson(res, 202, cur);
        const next = clone(cur);
        next.metadata.deletionTimestamp = now();
        next.metadata.deletionGracePeriodSeconds = 0;
        return sendJson(res, 202, this.#put(t, next, 'MODIFIED'));
      }
      this.#delete(t, cur);
      return sendJson(res, 200, t.crd ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: t.group, kind: t.plural, uid: cur.metadata.uid } } : cur);
    }
    if (method === 'PUT' || method === 'PATCH') {
      if (!current) notFound();
      const body = await readBody(req);
      let next: KObject;
      if (method === 'PUT') next = body as KObject;
      else {
        const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
        if (ct === 'application/json-patch+json') next = jsonPatch(clone(current), body) as KObject;
        else if (ct === 'application/merge-patch+json' || ct === 'application/strategic-merge-patch+json') next = mergePatch(clone(current), body) as KObject;
        else throw new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${t.crd ? '' : ', application/strategic-merge-patch+json'}`);
      }
      return this.#update(res, t, current as KObject, next, sub === 'status', q);
    }
    throw new ApiStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  #conflict(t: ResourceType, name: string): ApiStatusError {
    return new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: t.group, kind: t.plural });
  }

  #sendObject(req: http.IncomingMessage, res: http.ServerResponse, code: number, t: ResourceType, obj: KObject): void {
    if ((req.headers.accept ?? '').includes('as=Table')) return sendJson(res, code, toTable(t, [obj], String(this.#rv), 'Metadata'));
    sendJson(res, code, obj);
  }

  #sendList(req: http.IncomingMessage, res: http.ServerResponse, t: ResourceType, namespace: string | undefined, q: URLSearchParams): void {
    const match = matcher(q);
    const items = this.#list(t, namespace).filter(match);
    const rv = String(this.#rv);
    if ((req.headers.accept ?? '').includes('as=Table')) return sendJson(res, 200, toTable(t, items, rv, q.get('includeObject') ?? 'Metadata'));
    sendJson(res, 200, { kind: t.listKind, apiVersion: gvString(t), metadata: { resourceVersion: rv }, items });
  }

  #watch(req: http.IncomingMessage, res: http.ServerResponse, t: ResourceType, namespace: string | undefined, q: URLSearchParams): void {
    const match = matcher(q);
    const typeKey = `${t.group}|${t.plural}`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const table = (req.headers.accept ?? '').includes('as=Table');
    const write = (type: string, obj: unknown): void => {
      if (res.writableEnded) return;
      const object = table && type !== 'BOOKMARK' && type !== 'ERROR' ? toTable(t, [obj as KObject], (obj as KObject).metadata.resourceVersion ?? '', 'Metadata') : obj;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const since = q.get('resourceVersion');
    if (since && since !== '0') {
      const from = Number(since);
      const oldest = this.#history[0]?.rv ?? this.#rv;
      if (!Number.isFinite(from) || from < oldest - 1) {
        write('ERROR', new ApiStatusError(410, 'Expired', `too old resource version: ${since} (${oldest - 1})`).toStatus());
        return void res.end();
      }
      for (const c of this.#history) if (c.rv > from && c.typeKey === typeKey && (namespace === undefined || c.obj.metadata.namespace === namespace) && match(c.obj)) write(c.type, c.obj);
    } else {
      for (const o of this.#list(t, namespace).filter(match)) write('ADDED', o);
    }
    let bookmark: NodeJS.Timeout | undefined;
    let timeout: NodeJS.Timeout | undefined;
    const watcher: Watcher = {
      typeKey,
      namespace,
      match,
      send: (type, obj) => {
        if (type === '__end') return end();
        write(type, obj);
      },
    };
    const end = (): void => {
      this.#watchers.delete(watcher);
      clearInterval(bookmark);
      clearTimeout(timeout);
      if (!res.writableEnded) res.end();
    };
    this.#watchers.add(watcher);
    if (q.get('allowWatchBookmarks') === 'true') {
      bookmark = setInterval(() => write('BOOKMARK', { kind: t.kind, apiVersion: gvString(t), metadata: { resourceVersion: String(this.#rv) } }), this.#opts.bookmarkIntervalMs ?? 5000);
    }
    const secs = Number(q.get('timeoutSeconds') ?? 0);
    if (secs > 0) timeout = setTimeout(end, secs * 1000);
    req.on('close', end);
    res.on('close', end);
  }

  /** Schema validation of a custom resource (422 with causes), pruning or refusing unknown fields. */
  #validate(t: ResourceType, obj: KObject, q: URLSearchParams, warnings: string[]): void {
    const name = obj.metadata.name as string;
    const causes = [...(t.crd ? nameCauses(name) : [])];
    if (t.schema) {
      const r = validateCustomResource(obj as Json, t.schema);
      causes.push(...r.causes);
      if (r.unknown.length) {
        const mode = q.get('fieldValidation') ?? 'Warn';
        if (mode === 'Strict') {
          throw new ApiStatusError(400, 'BadRequest', `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${r.unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
        }
        if (mode === 'Warn') warnings.push(...r.unknown.map((u) => `unknown field "${u}"`));
      }
    }
    if (causes.length) {
      const text = causes.map((c) => `${c.field}: ${c.message}`);
      throw new ApiStatusError(422, 'Invalid', `${t.kind}${t.group ? `.${t.group}` : ''} "${name}" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`, { name, group: t.group, kind: t.kind, causes });
    }
  }

  async #admit(t: ResourceType, operation: 'CREATE' | 'UPDATE', obj: KObject, old: KObject | undefined, mutating: boolean): Promise<KObject> {
    const kind = mutating ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations';
    const cfgType = this.#type('admissionregistration.k8s.io', kind);
    let cur = obj;
    const nsLabels = t.namespaced ? (this.#objects.get(this.#key('', 'namespaces', undefined, obj.metadata.namespace as string))?.metadata.labels ?? {}) : undefined;
    for (const cfg of this.#list(cfgType, undefined)) {
      for (const w of (cfg.webhooks as Webhook[] | undefined) ?? []) {
        if (!matches(w, t, operation, cur.metadata.labels ?? {}, nsLabels)) continue;
        cur = await callWebhook(w, mutating, t, operation, cur, old, this.#opts.resolveService ?? (() => undefined));
      }
    }
    return cur;
  }

  #warningHeaders(warnings: string[]): Record<string, string> {
    return warnings.length ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') } : {};
  }

  async #create(res: http.ServerResponse, t: ResourceType, namespace: string | undefined, body: KObject | undefined, q: URLSearchParams): Promise<void> {
    if (!body || typeof body !== 'object' || typeof body.metadata !== 'object' || body.metadata === null) {
      throw new ApiStatusError(400, 'BadRequest', 'Object \'metadata\' is missing in the request body');
    }
    if ((body.kind && body.kind !== t.kind) || (body.apiVersion && body.apiVersion !== gvString(t))) {
      throw new ApiStatusError(400, 'BadRequest', `the API version in the data (${body.apiVersion ?? ''}) does not match the expected API version (${gvString(t)})`);
    }
    let obj = clone(body);
    const meta = obj.metadata;
    if (meta.namespace && namespace && meta.namespace !== namespace) throw new ApiStatusError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    if (t.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (!meta.name) {
      throw new ApiStatusError(422, 'Invalid', `${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: t.kind, causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }] });
    }
    if (meta.resourceVersion) throw new ApiStatusError(500, 'InternalError', 'Internal error occurred: resourceVersion should not be set on objects to be created');
    if (t.namespaced && !this.#objects.has(this.#key('', 'namespaces', undefined, namespace as string))) {
      throw new ApiStatusError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace as string, kind: 'namespaces' });
    }
    const key = this.#key(t.group, t.plural, meta.namespace, meta.name);
    if (this.#objects.has(key)) throw new ApiStatusError(409, 'AlreadyExists', `${qualified(t)} "${meta.name}" already exists`, { name: meta.name, group: t.group, kind: t.plural });
    const warnings: string[] = [];
    obj = await this.#admit(t, 'CREATE', obj, undefined, true);
    if (t.status && t.crd) delete obj.status;
    this.#validate(t, obj, q, warnings);
    await this.#admit(t, 'CREATE', obj, undefined, false);
    if (this.#objects.has(key)) throw new ApiStatusError(409, 'AlreadyExists', `${qualified(t)} "${meta.name}" already exists`, { name: meta.name, group: t.group, kind: t.plural });
    obj.metadata = { ...obj.metadata, uid: randomUUID(), creationTimestamp: now(), generation: 1 };
    delete obj.metadata.deletionTimestamp;
    this.#normalize(t, obj);
    if (t.plural === 'customresourcedefinitions') this.#registerCrd(obj);
    const stored = this.#put(t, obj, 'ADDED');
    sendJson(res, 201, stored, this.#warningHeaders(warnings));
  }

  #normalize(t: ResourceType, obj: KObject): void {
    // kube-apiserver labels every namespace with its name (what webhooks' namespaceSelectors match on).
    if (t.plural === 'namespaces') obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name as string };
    if (t.plural === 'secrets') {
      const sd = obj.stringData as Record<string, string> | undefined;
      if (sd) {
        obj.data = { ...((obj.data as Record<string, string> | undefined) ?? {}), ...Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
        delete obj.stringData;
      }
      obj.type ??= 'Opaque';
    }
  }

  #registerCrd(obj: KObject): void {
    const types = this.registry.registerCrd(obj as Json);
    const names = (obj.spec as { names: Json }).names;
    obj.status = {
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now() },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now() },
      ],
      acceptedNames: names,
      storedVersions: types.map((x) => x.version),
    };
  }

  async #update(res: http.ServerResponse, t: ResourceType, current: KObject, body: KObject, status: boolean, q: URLSearchParams): Promise<void> {
    if (!body || typeof body !== 'object' || typeof body.metadata !== 'object' || body.metadata === null) {
      throw new ApiStatusError(400, 'BadRequest', 'Object \'metadata\' is missing in the request body');
    }
    const name = current.metadata.name as string;
    if (body.metadata.name && body.metadata.name !== name) throw new ApiStatusError(400, 'BadRequest', `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== current.metadata.resourceVersion) throw this.#conflict(t, name);
    let next: KObject;
    if (status) {
      next = clone(current);
      if (body.status === undefined) delete next.status;
      else next.status = clone(body.status);
    } else {
      next = clone(body);
      next.metadata = { ...clone(body.metadata), name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, generation: current.metadata.generation };
      if (t.namespaced) next.metadata.namespace = current.metadata.namespace;
      else delete next.metadata.namespace;
      if (current.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
        next.metadata.deletionGracePeriodSeconds = 0;
        const added = (next.metadata.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
        if (added.length) throw new ApiStatusError(422, 'Invalid', `${t.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((a) => JSON.stringify(a)).join(', ')}}`);
      } else delete next.metadata.deletionTimestamp;
      if (t.status) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      this.#normalize(t, next);
    }
    const warnings: string[] = [];
    if (!status) next = await this.#admit(t, 'UPDATE', next, current, true);
    this.#validate(t, next, q, warnings);
    if (!status) await this.#admit(t, 'UPDATE', next, current, false);
    if (this.#objects.get(this.#key(t.group, t.plural, current.metadata.namespace, name)) !== current) throw this.#conflict(t, name);
    const strip = (o: KObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
    if (strip(next) === strip(current)) return sendJson(res, 200, current, this.#warningHeaders(warnings));
    const spec = (o: KObject): string => JSON.stringify(Object.entries(o).filter(([k]) => k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind'));
    if (!status && spec(next) !== spec(current)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    if (t.plural === 'customresourcedefinitions' && !status) this.#registerCrd(next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return sendJson(res, 200, this.#delete(t, next), this.#warningHeaders(warnings));
    }
    sendJson(res, 200, this.#put(t, next, 'MODIFIED'), this.#warningHeaders(warnings));
  }
}
