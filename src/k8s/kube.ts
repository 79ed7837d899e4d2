// The one file that talks to Kubernetes through @kubernetes/client-node: kubeconfig loading (file, then
// in-cluster), custom resources, Secrets, Events and watches. Everything else in src/k8s sees plain JSON.
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type CoreV1Event, type V1Secret } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { GROUP, VERSION, type SecretObj } from './types.js';

/** A failed Kubernetes call: the HTTP status and the API server's message. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

function toKubeError(err: unknown): Error {
  if (err instanceof ApiException) {
    const body = (err as ApiException<unknown>).body;
    let message = '';
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
      message = parsed?.message ?? '';
    } catch {
      message = typeof body === 'string' ? body : '';
    }
    return new KubeError((err as ApiException<unknown>).code, message || `HTTP ${(err as ApiException<unknown>).code}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw toKubeError(err);
  }
}

export type Obj = { metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };
export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Obj };

export interface KubeApi {
  getCustom(plural: string, namespace: string, name: string): Promise<Obj | undefined>;
  listCustom(plural: string, namespace: string | undefined): Promise<{ items: Obj[]; resourceVersion: string }>;
  patchCustom(plural: string, namespace: string, name: string, patch: unknown): Promise<Obj>;
  patchCustomStatus(plural: string, namespace: string, name: string, patch: unknown): Promise<Obj>;
  getSecret(namespace: string, name: string): Promise<SecretObj | undefined>;
  /** Creates the Secret, or replaces it when it exists (create/update only: the chart grants no patch on Secrets). */
  putSecret(secret: { name: string; namespace: string; labels: Record<string, string>; data: Record<string, string> }): Promise<SecretObj>;
  /** false when it did not exist. */
  deleteSecret(namespace: string, name: string): Promise<boolean>;
  listSecrets(namespace: string | undefined, labelSelector: string): Promise<{ items: Obj[]; resourceVersion: string }>;
  createEvent(namespace: string, event: Record<string, unknown>): Promise<void>;
  /** Watches from a resourceVersion (with bookmarks); `onEnd` fires once when the stream ends for any reason. */
  watch(path: string, query: Record<string, string>, onEvent: (e: WatchEvent | { type: 'BOOKMARK' | 'ERROR'; object: Record<string, unknown> }) => void, onEnd: (err?: Error) => void): Promise<() => void>;
  /** A Namespace's labels ({} when it does not exist); the connect-inject webhook reads them. */
  namespaceLabels(name: string): Promise<Record<string, string>>;
  /** The API path of a resource collection, for watch(). */
  collectionPath(group: string, version: string, plural: string, namespace: string | undefined): string;
  /** A core v1 object (endpoints, pods, services; nodes with namespace undefined) as plain JSON; undefined when absent. */
  getCore(plural: CorePlural, namespace: string | undefined, name: string): Promise<Obj | undefined>;
  /** A core v1 collection as plain JSON (all namespaces when undefined). */
  listCore(plural: CorePlural, namespace: string | undefined): Promise<{ items: Obj[]; resourceVersion: string }>;
}

export type CorePlural = 'endpoints' | 'pods' | 'services' | 'nodes';

/** $KUBECONFIG-style file when given, else the in-cluster service account (`serviceHost`: $KUBERNETES_SERVICE_HOST). */
export function loadKubeConfig(file: string | undefined, serviceHost: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (!serviceHost) throw new Error('KUBERNETES_SERVICE_HOST is not set');
  else kc.loadFromCluster();
  return kc;
}

const secretObj = (s: V1Secret): SecretObj => ({
  metadata: {
    name: s.metadata?.name ?? '',
    namespace: s.metadata?.namespace ?? '',
    ...(s.metadata?.resourceVersion ? { resourceVersion: s.metadata.resourceVersion } : {}),
    ...(s.metadata?.labels ? { labels: s.metadata.labels } : {}),
    ...(s.metadata?.uid ? { uid: s.metadata.uid } : {}),
  },
  ...(s.data ? { data: s.data } : {}),
  ...(s.type ? { type: s.type } : {}),
});

/**
 * Plain-JSON GETs over one keep-alive connection pool. The generated client makes a new agent (a new TLS
 * handshake) per request; the endpoints controller reads many small objects per reconcile. Credentials are
 * applied per request (a rotated service-account token is picked up); the pool is remade if the TLS material
 * changes. undefined when the cluster is reached through a proxy (the caller then uses the generated client).
 */
function rawGetter(kc: KubeConfig): ((path: string) => Promise<unknown>) | undefined {
  const cluster = kc.getCurrentCluster();
  if (!cluster || cluster.proxyUrl) return undefined;
  let pool: { agent: http.Agent; material: string } | undefined;
  return async (path) => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
    const material = JSON.stringify(tls);
    const secure = cluster.server.startsWith('https:');
    if (pool?.material !== material) {
      pool?.agent.destroy();
      pool = { agent: secure ? new https.Agent({ keepAlive: true, maxSockets: 16, ...tls }) : new http.Agent({ keepAlive: true, maxSockets: 16 }), material };
    }
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    const headers: Record<string, string> = { Accept: 'application/json' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const send = secure ? https.request : http.request;
    const agent = pool.agent;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'GET', agent, headers, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body);
          else reject(new KubeError(status, (body as { message?: string } | undefined)?.message || `HTTP ${status}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  };
}

export function kubeApi(kc: KubeConfig): KubeApi {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const watcher = new Watch(kc);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const rawGet = rawGetter(kc);
  const base = { group: GROUP, version: VERSION };
  const notFoundIsUndefined = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call(f);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  };
  return {
    getCustom: (plural, namespace, name) => notFoundIsUndefined(() => custom.getNamespacedCustomObject({ ...base, plural, namespace, name }) as Promise<Obj>),
    listCustom: async (plural, namespace) => {
      const list = (await call(() => (namespace ? custom.listNamespacedCustomObject({ ...base, plural, namespace }) : custom.listClusterCustomObject({ ...base, plural })))) as { items: Obj[]; metadata: { resourceVersion: string } };
      return { items: list.items, resourceVersion: list.metadata.resourceVersion };
    },
    patchCustom: (plural, namespace, name, body) => call(() => custom.patchNamespacedCustomObject({ ...base, plural, namespace, name, body }, merge) as Promise<Obj>),
    patchCustomStatus: (plural, namespace, name, body) => call(() => custom.patchNamespacedCustomObjectStatus({ ...base, plural, namespace, name, body }, merge) as Promise<Obj>),
    getSecret: async (namespace, name) => {
      const s = await notFoundIsUndefined(() => core.readNamespacedSecret({ namespace, name }));
      return s ? secretObj(s) : undefined;
    },
    putSecret: async ({ name, namespace, labels, data }) => {
      const existing = await notFoundIsUndefined(() => core.readNamespacedSecret({ namespace, name }));
      if (!existing) return secretObj(await call(() => core.createNamespacedSecret({ namespace, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels }, data } })));
      const body: V1Secret = { ...existing, metadata: { ...existing.metadata, labels: { ...(existing.metadata?.labels ?? {}), ...labels } }, data };
      return secretObj(await call(() => core.replaceNamespacedSecret({ namespace, name, body })));
    },
    deleteSecret: async (namespace, name) => (await notFoundIsUndefined(() => core.deleteNamespacedSecret({ namespace, name }))) !== undefined,
    listSecrets: async (namespace, labelSelector) => {
      const list = await call(() => (namespace ? core.listNamespacedSecret({ namespace, labelSelector }) : core.listSecretForAllNamespaces({ labelSelector })));
      return { items: list.items.map((s) => secretObj(s) as unknown as Obj), resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    createEvent: async (namespace, event) => {
      await call(() => core.createNamespacedEvent({ namespace, body: event as unknown as CoreV1Event }));
    },
    watch: async (path, query, onEvent, onEnd) => {
      let ended = false;
      const end = (err?: Error): void => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      const ac = await watcher.watch(
        path,
        { ...query, allowWatchBookmarks: true },
        (type: string, obj: Record<string, unknown>) => onEvent({ type, object: obj } as WatchEvent),
        (err: unknown) => end(err ? toKubeError(err) : undefined),
      );
      return () => {
        ended = true;
        ac.abort();
      };
    },
    // The typed client's models keep the JSON field names (podIP, targetRef, notReadyAddresses, ...): callers
    // read them as plain objects.
    getCore: (plural, namespace, name) =>
      notFoundIsUndefined(async () => {
        if (rawGet) return (await rawGet(`/api/v1${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}/${encodeURIComponent(name)}`)) as Obj;
        const ns = namespace ?? '';
        switch (plural) {
          case 'endpoints':
            return (await core.readNamespacedEndpoints({ namespace: ns, name })) as unknown as Obj;
          case 'pods':
            return (await core.readNamespacedPod({ namespace: ns, name })) as unknown as Obj;
          case 'services':
            return (await core.readNamespacedService({ namespace: ns, name })) as unknown as Obj;
          case 'nodes':
            return (await core.readNode({ name })) as unknown as Obj;
        }
      }),
    listCore: async (plural, namespace) => {
      const list = await call(async (): Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }> => {
        switch (plural) {
          case 'endpoints':
            return namespace ? core.listNamespacedEndpoints({ namespace }) : core.listEndpointsForAllNamespaces();
          case 'pods':
            return namespace ? core.listNamespacedPod({ namespace }) : core.listPodForAllNamespaces();
          case 'services':
            return namespace ? core.listNamespacedService({ namespace }) : core.listServiceForAllNamespaces();
          case 'nodes':
            return core.listNode();
        }
      });
      return { items: list.items as Obj[], resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    namespaceLabels: async (name) => (await notFoundIsUndefined(() => core.readNamespace({ name })))?.metadata?.labels ?? {},
    collectionPath: (group, version, plural, namespace) => `${group ? `/apis/${group}/${version}` : `/api/${version}`}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}`,
  };
}
