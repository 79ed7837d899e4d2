// The endpoints controller: watches Endpoints; for each one reads its Pods, Service and Nodes, plans the catalog
// registrations (plan.ts), diffs them against what the catalog holds for that k8s service (diff.ts) and applies
// the difference (catalog.ts). A periodic resync re-reconciles every Endpoints object and sweeps the catalog for
// instances whose Endpoints vanished (also while the controller was down), so restarts converge.
import type { Logger } from '../../lib/log.js';
import type { IsthmusClient } from '../../sdk/client.js';
import type { KubeApi } from '../kube.js';
import { KeyedQueue } from '../queue.js';
import { deleteLoginTokens, deregister, deregisterEmptyNode, heldInstances, register, setVirtualIps } from './catalog.js';
import { diffRegistrations, heldFor, type HeldInstance } from './diff.js';
import { inform } from './informer.js';
import { isManaged, planEndpoints } from './plan.js';
import { META, type EndpointsObj, type NodeObj, type PodObj, type ServiceObj } from './types.js';

export interface EndpointsControllerOptions {
  kube: KubeApi;
  server: IsthmusClient;
  log: Logger;
  /** Watch one namespace; all when undefined. */
  namespace?: string;
  /** Every Endpoints object is reconciled again, and the catalog swept, this often (ms). */
  resyncMs?: number;
  /** First retry delay after a failure (doubles up to maxRetryDelayMs). */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** With ACLs: the auth method pods log in with; their login tokens are deleted when the pods go. */
  authMethod?: string;
}

/** Kubernetes reads and catalog writes of one reconcile run this many at a time. */
const PARALLEL = 8;

/** Runs `f` over `items`, at most `limit` at a time, answers in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
};

export class EndpointsController {
  readonly #o: EndpointsControllerOptions;
  readonly #log: Logger;
  readonly #queue: KeyedQueue;
  readonly #known = new Set<string>();
  /** Manual VIPs already set, per service, so they are written once rather than on every reconcile. */
  readonly #vipsSet = new Map<string, string>();
  readonly #lastError = new Map<string, string>();
  /**
   * k8s services the catalog holds instances for (from sweeps and our own writes). Once a sweep has succeeded,
   * an Endpoints object with nothing to register and nothing held skips the catalog read: most Endpoints in a
   * cluster have no injected pods, and some change often.
   */
  readonly #held = new Set<string>();
  #heldKnown = false;
  /** Per synthetic node: registrations onto it and its removal when empty never interleave. */
  readonly #nodeLocks = new Map<string, Promise<unknown>>();
  #stopInformer: (() => void) | undefined;
  #resync: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(o: EndpointsControllerOptions) {
    this.#o = o;
    this.#log = o.log.child({ controller: 'endpoints' });
    this.#queue = new KeyedQueue((key) => this.#reconcile(key), { baseDelayMs: o.retryBaseMs ?? 500, maxDelayMs: o.maxRetryDelayMs ?? 30_000 });
  }

  async start(): Promise<void> {
    const { kube, namespace } = this.#o;
    // The catalog first: what is held is known before the first reconcile (a server not up yet is retried by
    // the resync sweeps; until one succeeds every reconcile reads the catalog).
    await this.#sweep();
    this.#stopInformer = inform({
      kube,
      log: this.#log,
      list: () => kube.listCore('endpoints', namespace),
      path: kube.collectionPath('', 'v1', 'endpoints', namespace),
      onKey: (key) => {
        this.#known.add(key);
        this.#queue.add(key);
      },
    });
    this.#resync = setInterval(() => {
      for (const key of this.#known) this.#queue.add(key);
      void this.#sweep();
    }, this.#o.resyncMs ?? 30_000);
    this.#log.info('endpoints controller started', { namespace: namespace ?? '(all)' });
  }

  /** Runs `f` while holding the node's lock. */
  async #withNode<T>(node: string, f: () => Promise<T>): Promise<T> {
    const prev = this.#nodeLocks.get(node) ?? Promise.resolve();
    const run = prev.then(f, f);
    const tail = run.catch(() => undefined);
    this.#nodeLocks.set(node, tail);
    void tail.then(() => {
      if (this.#nodeLocks.get(node) === tail) this.#nodeLocks.delete(node);
    });
    return run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#resync);
    this.#stopInformer?.();
    this.#queue.stop();
    await this.#queue.idle();
  }

  /** Queues every k8s service the catalog holds instances for (those without Endpoints get deregistered). */
  async #sweep(): Promise<void> {
    try {
      const held = await heldInstances(this.#o.server, this.#o.namespace);
      for (const h of held) {
        const m = h.Service.Meta ?? {};
        const key = `${m[META.k8sNamespace] ?? ''}/${m[META.k8sServiceName] ?? ''}`;
        this.#held.add(key);
        // Instances whose Endpoints are gone (also deleted while the controller was down) are found here.
        if (!this.#known.has(key)) this.#queue.add(key);
      }
      this.#heldKnown = true;
    } catch (err) {
      this.#log.warn('reading the catalog for stale instances failed; will retry at the next resync', { error: (err as Error).message });
    }
  }

  async #reconcile(key: string): Promise<void> {
    if (this.#stopped) return;
    const [namespace, name] = splitKey(key);
    const { kube, server } = this.#o;
    const log = this.#log.child({ endpoints: key });
    const t0 = performance.now();
    try {
      const endpoints = (await kube.getCore('endpoints', namespace, name)) as EndpointsObj | undefined;
      if (!endpoints) this.#known.delete(key);
      const pods = new Map<string, PodObj>();
      const nodes = new Map<string, NodeObj>();
      let service: ServiceObj | undefined;
      if (endpoints) {
        const refs = new Set<string>();
        for (const s of endpoints.subsets ?? []) for (const a of [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]) if (a.targetRef?.kind === 'Pod' && a.targetRef.name) refs.add(a.targetRef.name);
        const got = await mapLimit([...refs], PARALLEL, async (p) => (await kube.getCore('pods', namespace, p)) as PodObj | undefined);
        for (const pod of got) if (pod) pods.set(pod.metadata.name, pod);
        if ([...pods.values()].some(isManaged)) {
          service = (await kube.getCore('services', namespace, name)) as ServiceObj | undefined;
          for (const n of new Set([...pods.values()].filter(isManaged).map((p) => p.spec?.nodeName ?? ''))) {
            if (!n) continue;
            try {
              const node = (await kube.getCore('nodes', undefined, n)) as NodeObj | undefined;
              if (node) nodes.set(n, node);
            } catch (err) {
              log.debug('reading the node failed; registering without locality', { node: n, error: (err as Error).message });
            }
          }
        }
      }
      const plan = planEndpoints({ namespace, name, endpoints, pods, service, nodes });
      const nothingToDo = plan.registrations.length === 0 && plan.retained.length === 0 && plan.errors.length === 0;
      if (nothingToDo && this.#heldKnown && !this.#held.has(key)) {
        if (plan.requeueMs !== undefined) this.#queue.add(key, plan.requeueMs);
        return;
      }
      const t1 = performance.now();
      const held = (await heldInstances(server, this.#o.namespace)).filter((h) => heldFor(h, namespace, name));
      const t2 = performance.now();
      if (plan.registrations.length > 0) this.#held.add(key);
      const diff = diffRegistrations(plan.registrations, held, plan.retained);
      const errors = [...plan.errors];
      await mapLimit(diff.register, PARALLEL, async (r) => {
        try {
          await this.#withNode(r.Node, () => register(server, r));
          log.info('registered', { serviceID: r.Service.ID, service: r.Service.Service, kind: r.Service.Kind ?? 'typical', node: r.Node, health: r.Check.Status });
        } catch (err) {
          errors.push(`registering ${r.Service.ID}: ${(err as Error).message}`);
        }
      });
      const gone: HeldInstance[] = [];
      await mapLimit(diff.deregister, PARALLEL, async (d) => {
        try {
          await deregister(server, d);
          log.info('deregistered', { serviceID: d.ServiceID, node: d.Node });
          const h = held.find((x) => x.Node === d.Node && x.Service.ID === d.ServiceID);
          if (h) gone.push(h);
        } catch (err) {
          errors.push(`deregistering ${d.ServiceID}: ${(err as Error).message}`);
        }
      });
      for (const v of plan.virtualIps) {
        const want = JSON.stringify(v.ManualVIPs);
        // Again whenever a proxy of the service was (re)registered: a VIP freed meanwhile loses its manual IPs.
        const proxyWritten = diff.register.some((r) => r.Service.Kind === 'connect-proxy' && r.Service.Proxy?.DestinationServiceName === v.Service);
        if (this.#vipsSet.get(v.Service) === want && !proxyWritten) continue;
        try {
          await setVirtualIps(server, v);
          this.#vipsSet.set(v.Service, want);
          log.info('virtual IP set', { service: v.Service, ip: v.ManualVIPs.join(',') });
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      if (this.#o.authMethod && gone.length > 0) await this.#deleteTokens(gone, namespace, log).catch((err: unknown) => errors.push(`deleting login tokens: ${(err as Error).message}`));
      for (const node of new Set(gone.map((h) => h.Node))) {
        try {
          if (await this.#withNode(node, () => deregisterEmptyNode(server, node))) log.info('synthetic node without instances deregistered', { node });
        } catch (err) {
          errors.push(`deregistering node ${node}: ${(err as Error).message}`);
        }
      }
      if (plan.requeueMs !== undefined) {
        log.debug('a pod behind an address has no IPs yet; requeued', { inMs: plan.requeueMs });
        this.#queue.add(key, plan.requeueMs);
      }
      log.debug('reconciled', { registered: diff.register.length, deregistered: diff.deregister.length, kubeReadMs: Math.round(t1 - t0), catalogReadMs: Math.round(t2 - t1), writeMs: Math.round(performance.now() - t2) });
      if (errors.length > 0) throw new Error(errors.join('; '));
      if (plan.registrations.length === 0 && plan.retained.length === 0) this.#held.delete(key);
      if (this.#lastError.delete(key)) log.info('endpoints reconciled after earlier failures', {});
    } catch (err) {
      const message = (err as Error).message;
      const retry = this.#queue.failures(key) + 1;
      // One line per distinct failure; repeats (every retry) only at debug.
      if (this.#lastError.get(key) !== message) log.error('endpoints reconcile failed; retrying with backoff', { error: message, retry });
      else log.debug('endpoints reconcile failed again', { error: message, retry });
      this.#lastError.set(key, message);
      throw err;
    }
  }

  /**
   * Login tokens of deregistered instances whose pod is gone (or is a new pod under the same name): consul-k8s
   * deletes them with the instance.
   */
  async #deleteTokens(gone: HeldInstance[], namespace: string, log: Logger): Promise<void> {
    const targets: { service: string; namespace: string; pod: string; podUid: string }[] = [];
    for (const h of gone) {
      const pod = h.Service.Meta?.[META.podName];
      const podUid = h.Service.Meta?.[META.podUid] ?? '';
      if (!pod || h.Service.Kind === 'connect-proxy') continue;
      const live = (await this.#o.kube.getCore('pods', namespace, pod)) as PodObj | undefined;
      if (live && (live.metadata.uid ?? '') === podUid) continue;
      targets.push({ service: h.Service.Service, namespace, pod, podUid });
    }
    const deleted = await deleteLoginTokens(this.#o.server, this.#o.authMethod as string, targets);
    for (const accessor of deleted) log.info('login token of a deleted pod deleted', { accessorID: accessor });
  }
}

/** Starts the controller (the CLI's one line); the answer stops it. */
export async function startEndpointsController(o: EndpointsControllerOptions): Promise<EndpointsController> {
  const c = new EndpointsController(o);
  await c.start();
  return c;
}
