// The controller: watches the custom resources (and the peering-token Secrets), reconciles each one by
// observing it afresh, planning (peering-plan.ts / entry-plan.ts) and executing the plan against the server
// (through sdk/) and Kubernetes (through kube.ts), and tells operators what happened with logs, Events and
// the Synced condition. A periodic resync also catches changes made on the server behind its back.
import { hostname } from 'node:os';
import type { Logger } from '../lib/log.js';
import { ApiError, type IsthmusClient } from '../sdk/client.js';
import { entryName } from './entry-convert.js';
import { planEntry, type EntryAction } from './entry-plan.js';
import { KubeError, type KubeApi, type Obj } from './kube.js';
import { planAcceptor, planDialer, type PeeringAction } from './peering-plan.js';
import { KeyedQueue } from './queue.js';
import {
  CONFIG_KINDS,
  CONTROLLER_COMPONENT,
  ENTRY_REASON,
  FINALIZER,
  GROUP,
  PEERING_KINDS,
  PEERING_TOKEN_LABEL,
  REASON,
  VERSION,
  type Condition,
  type ConfigCR,
  type CrdKind,
  type PeeringCR,
  type PeeringObserved,
} from './types.js';

export interface ControllerOptions {
  kube: KubeApi;
  server: IsthmusClient;
  log: Logger;
  datacenter: string;
  /** Watch one namespace; all when undefined. */
  namespace?: string;
  enablePeering: boolean;
  /** Every known resource is reconciled again this often (ms). */
  resyncMs?: number;
  /** First retry delay after a failure (doubles up to 30 s). */
  retryBaseMs?: number;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** A step failed: the condition reason and message to record. */
class StepError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly syncedStatus: 'False' | 'Unknown' = 'False',
  ) {
    super(message);
  }
}

/** The server's error as the Consul API client words it. */
function serverText(err: unknown): string {
  if (err instanceof ApiError) return `Unexpected response code: ${err.status} (${err.message})`;
  return (err as Error).message;
}

export class Controller {
  readonly #o: ControllerOptions;
  readonly #queue: KeyedQueue;
  readonly #kinds: CrdKind[];
  /** Last seen object per key (for mapping Secret events to resources, and resyncs). */
  readonly #cache = new Map<string, Obj>();
  /** Last warning per key, so a failure repeated on every retry gives one Event, not hundreds. */
  readonly #lastWarning = new Map<string, string>();
  readonly #stops: (() => void)[] = [];
  #stopped = false;
  #resync: NodeJS.Timeout | undefined;

  constructor(o: ControllerOptions) {
    this.#o = o;
    this.#kinds = [...(o.enablePeering ? PEERING_KINDS : []), ...CONFIG_KINDS];
    this.#queue = new KeyedQueue((key) => this.#reconcile(key), { baseDelayMs: o.retryBaseMs ?? 500 });
  }

  async start(): Promise<void> {
    for (const k of this.#kinds) this.#inform(k.plural, GROUP, VERSION, `${k.plural}`);
    if (this.#o.enablePeering) this.#inform('secrets', '', 'v1', 'secrets', `${PEERING_TOKEN_LABEL}=true`);
    this.#resync = setInterval(() => {
      for (const key of this.#cache.keys()) if (!key.startsWith('secrets|')) this.#queue.add(key);
    }, this.#o.resyncMs ?? 30_000);
    this.#o.log.info('controller started', { datacenter: this.#o.datacenter, namespace: this.#o.namespace ?? '(all)', kinds: this.#kinds.map((k) => k.kind).join(',') });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#resync);
    for (const s of this.#stops.splice(0)) s();
    this.#queue.stop();
    await this.#queue.idle();
  }

  // ---- informers: list, then watch from the list's resourceVersion; relist on 410 or errors ----

  #inform(plural: string, group: string, version: string, label: string, labelSelector?: string): void {
    const ns = this.#o.namespace;
    const path = this.#o.kube.collectionPath(group, version, plural, ns);
    let rv = '';
    let backoff = 500;
    const relist = async (): Promise<void> => {
      if (this.#stopped) return;
      try {
        const list = group === '' ? await this.#o.kube.listSecrets(ns, labelSelector ?? '') : await this.#o.kube.listCustom(plural, ns);
        const seen = new Set<string>();
        for (const item of list.items) {
          const key = `${plural}|${item.metadata.namespace}|${item.metadata.name}`;
          seen.add(key);
          this.#observe(plural, key, item, 'ADDED');
        }
        for (const key of [...this.#cache.keys()]) if (key.startsWith(`${plural}|`) && !seen.has(key)) this.#observe(plural, key, this.#cache.get(key) as Obj, 'DELETED');
        rv = list.resourceVersion;
        backoff = 500;
        await watch();
      } catch (err) {
        if (this.#stopped) return;
        this.#o.log.warn('listing failed; retrying', { resource: label, error: (err as Error).message });
        setTimeout(() => void relist(), backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    };
    const watch = async (): Promise<void> => {
      if (this.#stopped) return;
      let gone = false;
      const query: Record<string, string> = { resourceVersion: rv, ...(labelSelector ? { labelSelector } : {}) };
      const stop = await this.#o.kube.watch(
        path,
        query,
        (e) => {
          if (e.type === 'BOOKMARK') {
            rv = String((e.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? rv);
            return;
          }
          if (e.type === 'ERROR') {
            gone = (e.object as { code?: number }).code === 410;
            return;
          }
          const item = e.object as Obj;
          rv = item.metadata.resourceVersion ?? rv;
          this.#observe(plural, `${plural}|${item.metadata.namespace}|${item.metadata.name}`, item, e.type);
        },
        (err) => {
          if (this.#stopped) return;
          if (gone || (err instanceof KubeError && err.status === 410)) void relist();
          else setTimeout(() => void (err ? relist() : watch()), err ? backoff : 0);
        },
      );
      this.#stops.push(stop);
    };
    void relist();
  }

  #observe(plural: string, key: string, obj: Obj, type: string): void {
    if (type === 'DELETED') this.#cache.delete(key);
    else this.#cache.set(key, obj);
    if (plural !== 'secrets') {
      this.#queue.add(key);
      return;
    }
    // A token Secret changed: wake the acceptor that recorded it and the dialers that read it.
    const { namespace, name } = obj.metadata;
    for (const [k, o] of this.#cache) {
      const cr = o as unknown as PeeringCR;
      if (cr.metadata.namespace !== namespace) continue;
      if (k.startsWith('peeringacceptors|') && cr.status?.secret?.name === name && cr.status.secret.backend === 'kubernetes') this.#queue.add(k);
      if (k.startsWith('peeringdialers|') && cr.spec?.peer?.secret?.name === name && cr.spec.peer.secret.backend === 'kubernetes') this.#queue.add(k);
    }
  }

  // ---- reconcile ----

  async #reconcile(key: string): Promise<void> {
    if (this.#stopped) return;
    const [plural, namespace, name] = key.split('|') as [string, string, string];
    const kind = this.#kinds.find((k) => k.plural === plural);
    if (!kind) return;
    const log = this.#o.log.child({ kind: kind.kind, namespace, name });
    let cr: Obj | undefined;
    try {
      cr = await this.#o.kube.getCustom(plural, namespace, name);
    } catch (err) {
      log.warn('reading the resource failed', { error: (err as Error).message });
      throw err;
    }
    if (!cr) {
      this.#cache.delete(key);
      this.#lastWarning.delete(key);
      return;
    }
    this.#cache.set(key, cr);
    try {
      if (kind.entryKind) await this.#reconcileEntry(kind, cr as unknown as ConfigCR, log);
      else await this.#reconcilePeering(kind, cr as unknown as PeeringCR, log);
      this.#lastWarning.delete(key);
    } catch (err) {
      if (err instanceof KubeError && err.status === 409) {
        log.debug('resource changed while reconciling; retrying', {});
        throw err;
      }
      if (err instanceof KubeError && err.status === 404 && (err.message.includes(`"${name}" not found`) || err.message === 'HTTP 404')) return;
      const step = err instanceof StepError ? err : new StepError(kind.entryKind ? ENTRY_REASON.ConsulAgentError : REASON.internalError, (err as Error).message);
      log.error('reconcile failed', { reason: step.reason, error: step.message, retry: this.#queue.failures(key) + 1 });
      await this.#setSynced(plural, cr, step.syncedStatus, step.reason, step.message).catch((e: unknown) => log.warn('recording the failure in status failed', { error: (e as Error).message }));
      if (this.#lastWarning.get(key) !== step.message) {
        this.#lastWarning.set(key, step.message);
        await this.#event(kind, cr, 'Warning', step.reason, step.message);
      }
      throw step;
    }
  }

  async #peering(name: string): Promise<PeeringObserved> {
    try {
      const p = await this.#o.server.peeringRead(name);
      return { exists: true, state: p.State };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { exists: false };
      throw new StepError(REASON.consulAgentError, `reading peering ${JSON.stringify(name)}: ${serverText(err)}`);
    }
  }

  async #reconcilePeering(kind: CrdKind, cr: PeeringCR, log: Logger): Promise<void> {
    const { namespace, name } = cr.metadata;
    const deleting = cr.metadata.deletionTimestamp !== undefined;
    const secretName = cr.spec?.peer?.secret?.name;
    const k8s = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (err) {
        if (err instanceof KubeError && err.status === 409) throw err;
        throw new StepError(REASON.kubernetesError, `${what}: ${(err as Error).message}`);
      }
    };
    const consul = async <T>(f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (err) {
        throw new StepError(REASON.consulAgentError, serverText(err));
      }
    };
    let plan;
    if (deleting) plan = kind.kind === 'PeeringAcceptor' ? planAcceptor(cr, { specSecret: undefined, peering: { exists: false } }) : planDialer(cr, { specSecret: undefined, peering: { exists: false } });
    else {
      const specSecret = secretName && cr.spec?.peer?.secret?.backend === 'kubernetes' ? await k8s(`reading secret ${JSON.stringify(secretName)}`, () => this.#o.kube.getSecret(namespace, secretName)) : undefined;
      const peering = await this.#peering(name);
      plan = kind.kind === 'PeeringAcceptor' ? planAcceptor(cr, { specSecret, peering }) : planDialer(cr, { specSecret, peering });
    }
    if (plan.actions.length === 0) return;
    log.debug('reconciling', { why: plan.why, actions: plan.actions.map((a) => a.do).join(',') });
    let token = '';
    let current: Obj = cr as unknown as Obj;
    for (const a of plan.actions as PeeringAction[]) {
      switch (a.do) {
        case 'addFinalizer':
          current = await k8s('adding finalizer', () => this.#o.kube.patchCustom(kind.plural, namespace, name, { metadata: { finalizers: [...(cr.metadata.finalizers ?? []), FINALIZER], resourceVersion: cr.metadata.resourceVersion } }));
          cr.metadata.resourceVersion = current.metadata.resourceVersion;
          break;
        case 'removeFinalizer':
          await k8s('removing finalizer', () => this.#o.kube.patchCustom(kind.plural, namespace, name, { metadata: { finalizers: (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER), resourceVersion: cr.metadata.resourceVersion } }));
          log.info('finalizer removed; resource released', {});
          break;
        case 'deletePeering':
          // A failed delete keeps the finalizer and is retried: the peering is never left behind silently.
          await consul(() => this.#o.server.peeringDelete(name));
          log.info('peering deleted', { peer: name });
          await this.#event(kind, cr as unknown as Obj, 'Normal', 'PeeringDeleted', `deleted peering ${JSON.stringify(name)}`);
          break;
        case 'deleteSecret': {
          const existed = await k8s(`deleting secret ${JSON.stringify(a.name)}`, () => this.#o.kube.deleteSecret(namespace, a.name));
          if (existed) {
            log.info('token secret deleted', { secret: a.name });
            await this.#event(kind, cr as unknown as Obj, 'Normal', 'SecretDeleted', `deleted peering token secret ${JSON.stringify(a.name)}`);
          }
          break;
        }
        case 'generateToken':
          token = (await consul(() => this.#o.server.peeringGenerateToken({ PeerName: name }))).PeeringToken;
          break;
        case 'writeSecret':
          await k8s(`writing secret ${JSON.stringify(a.name)}`, () =>
            this.#o.kube.putSecret({ name: a.name, namespace, labels: { [PEERING_TOKEN_LABEL]: 'true' }, data: { [a.key]: Buffer.from(token).toString('base64') } }),
          );
          log.info('peering token generated', { peer: name, secret: a.name, key: a.key, why: plan.why });
          await this.#event(kind, cr as unknown as Obj, 'Normal', 'PeeringTokenGenerated', `generated a peering token for peer ${JSON.stringify(name)} into secret ${JSON.stringify(a.name)} (${plan.why})`);
          break;
        case 'establish':
          await consul(() => this.#o.server.peeringEstablish({ PeerName: name, PeeringToken: a.token }));
          log.info('peering established', { peer: name, secret: secretName, why: plan.why });
          await this.#event(kind, cr as unknown as Obj, 'Normal', 'PeeringEstablished', `established peering ${JSON.stringify(name)} with the token in secret ${JSON.stringify(secretName)} (${plan.why})`);
          break;
        case 'updateStatus': {
          const status: Record<string, unknown> = {
            secret: a.secret,
            lastSyncedTime: now(),
            conditions: [{ type: 'Synced', status: 'True', lastTransitionTime: now() } satisfies Condition],
          };
          if (a.latestPeeringVersion !== undefined) status.latestPeeringVersion = a.latestPeeringVersion;
          await k8s('updating status', () => this.#o.kube.patchCustomStatus(kind.plural, namespace, name, { status }));
          break;
        }
        case 'fail':
          throw new StepError(a.reason, a.message);
      }
    }
  }

  async #reconcileEntry(kind: CrdKind, cr: ConfigCR, log: Logger): Promise<void> {
    const { namespace, name } = cr.metadata;
    const entryKind = kind.entryKind as string;
    const target = entryName(kind, cr);
    let existing: Record<string, unknown> | undefined;
    if (cr.metadata.deletionTimestamp === undefined || (cr.metadata.finalizers ?? []).includes(FINALIZER)) {
      try {
        existing = target ? await this.#o.server.configReadOptional(entryKind, target) : undefined;
      } catch (err) {
        throw new StepError(ENTRY_REASON.ConsulAgentError, `reading config entry from consul: ${serverText(err)}`);
      }
    }
    const plan = planEntry(kind, cr, existing, this.#o.datacenter);
    if (plan.actions.length === 0) return;
    log.debug('reconciling', { why: plan.why, actions: plan.actions.map((a) => a.do).join(',') });
    for (const a of plan.actions as EntryAction[]) {
      switch (a.do) {
        case 'addFinalizer':
          try {
            const next = await this.#o.kube.patchCustom(kind.plural, namespace, name, { metadata: { finalizers: [...(cr.metadata.finalizers ?? []), FINALIZER], resourceVersion: cr.metadata.resourceVersion } });
            cr.metadata.resourceVersion = next.metadata.resourceVersion;
          } catch (err) {
            if (err instanceof KubeError && err.status === 409) throw err;
            throw new StepError(ENTRY_REASON.ConsulPatchError, `adding finalizer: ${(err as Error).message}`);
          }
          break;
        case 'removeFinalizer':
          await this.#o.kube.patchCustom(kind.plural, namespace, name, { metadata: { finalizers: (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER), resourceVersion: cr.metadata.resourceVersion } });
          log.info('finalizer removed; resource released', {});
          break;
        case 'write':
          try {
            await this.#o.server.configWrite(a.entry);
          } catch (err) {
            throw new StepError(ENTRY_REASON.ConsulAgentError, `${a.failPrefix}: ${serverText(err)}`, a.failStatus);
          }
          log.info('config entry written', { entry: `${entryKind}/${target}`, why: plan.why });
          await this.#event(kind, cr as unknown as Obj, 'Normal', 'ConfigEntryWritten', `wrote config entry ${entryKind}/${target} (${plan.why})`);
          break;
        case 'delete':
          try {
            await this.#o.server.configDelete(a.kind, a.name);
          } catch (err) {
            if (!(err instanceof ApiError && err.status === 404)) throw new StepError(ENTRY_REASON.ConsulAgentError, `deleting config entry from consul: ${serverText(err)}`);
          }
          log.info('config entry deleted', { entry: `${a.kind}/${a.name}` });
          await this.#event(kind, cr as unknown as Obj, 'Normal', 'ConfigEntryDeleted', `deleted config entry ${a.kind}/${a.name}`);
          break;
        case 'synced':
          await this.#setSynced(kind.plural, cr as unknown as Obj, a.status, a.reason ?? '', a.message ?? '');
          if (a.status !== 'True') {
            log.warn('not synced', { reason: a.reason, message: a.message });
            await this.#event(kind, cr as unknown as Obj, 'Warning', a.reason ?? 'NotSynced', a.message ?? '');
          }
          break;
      }
    }
  }

  async #setSynced(plural: string, cr: Obj, status: 'True' | 'False' | 'Unknown', reason: string, message: string): Promise<void> {
    const cond: Condition = { type: 'Synced', status, lastTransitionTime: now(), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
    const patch: Record<string, unknown> = { conditions: [cond] };
    if (status === 'True') patch.lastSyncedTime = now();
    await this.#o.kube.patchCustomStatus(plural, cr.metadata.namespace, cr.metadata.name, { status: patch });
  }

  async #event(kind: CrdKind, cr: Obj, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const t = new Date().toISOString();
    try {
      await this.#o.kube.createEvent(cr.metadata.namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${cr.metadata.name}.`, namespace: cr.metadata.namespace },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: kind.kind, name: cr.metadata.name, namespace: cr.metadata.namespace, uid: cr.metadata.uid, resourceVersion: cr.metadata.resourceVersion },
        reason,
        message,
        type,
        source: { component: CONTROLLER_COMPONENT },
        reportingComponent: CONTROLLER_COMPONENT,
        reportingInstance: hostname(),
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
      });
    } catch (err) {
      this.#o.log.warn('recording an event failed', { reason, error: (err as Error).message });
    }
  }
}
