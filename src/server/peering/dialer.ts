// The establishing side's connection manager (spec §4.7): one retry loop per dialer peering with an
// active stream secret; address ring; Consul's backoff by failure kind; stops on Terminated.
import type { ReplicationMessage } from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import type { Logger } from '../../lib/log.js';
import { retryDelayMs, type FailureKind } from './backoff.js';
import { PeerSession, StreamError, type MessageInit, type SessionDeps } from './session.js';
import type { SessionRegistry } from './sessions.js';
import type { PeeringService } from './service.js';
import { addressesToDial, isActive, isDialer } from './types.js';

/** One outbound stream, as the transport layer (gRPC) provides it. */
export interface PeerConnection {
  /** `false`: the buffer is full, wait for `drained()`. */
  send(msg: MessageInit): boolean | void;
  drained?(): Promise<void>;
  end(): void;
  cancel(): void;
  /** Messages from the peer; finishes when the peer ends the stream; throws a coded error on failure. */
  messages: AsyncIterable<ReplicationMessage>;
}

export type Connector = (address: string, tls: { caPems: string[]; serverName: string }) => PeerConnection;

/** A transport failure with the gRPC status name, so backoff can tell failure kinds apart. */
export interface CodedFailure {
  grpcCode?: 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED' | 'PERMISSION_DENIED' | 'ABORTED' | 'INVALID_ARGUMENT' | string;
  message: string;
  /** A follower's LeaderAddress hint: the next attempt goes there. */
  leaderAddress?: string;
}

export interface DialManagerOptions {
  datacenter: string;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Local mesh gateways to try first (peering through gateways). */
  dialVia?: () => string[];
  /** Overrides the backoff (tests). */
  retryDelay?: (kind: FailureKind, failures: number) => number;
}

export class DialManager {
  readonly #peering: PeeringService;
  readonly #sessionDeps: SessionDeps;
  readonly #registry: SessionRegistry;
  readonly #connect: Connector;
  readonly #log: Logger;
  readonly #o: DialManagerOptions;
  readonly #loops = new Map<string, AbortController>();
  #unsubscribe: (() => void) | undefined;

  constructor(deps: { peering: PeeringService; sessionDeps: SessionDeps; registry: SessionRegistry; connect: Connector; log: Logger }, options: DialManagerOptions) {
    this.#peering = deps.peering;
    this.#sessionDeps = deps.sessionDeps;
    this.#registry = deps.registry;
    this.#connect = deps.connect;
    this.#log = deps.log;
    this.#o = options;
  }

  start(): void {
    this.#unsubscribe = this.#peering.onChange(() => this.reconcile());
    this.reconcile();
  }

  stop(): void {
    this.#unsubscribe?.();
    for (const ac of this.#loops.values()) ac.abort();
    this.#loops.clear();
  }

  /** Starts loops for dialer peerings that should be connected; stops loops for the rest. */
  reconcile(): void {
    for (const { value: rec } of this.#peering.list()) {
      const wanted = isDialer(rec) && isActive(rec) && !!this.#peering.secrets(rec.ID)?.active;
      if (wanted && !this.#loops.has(rec.ID)) {
        const ac = new AbortController();
        this.#loops.set(rec.ID, ac);
        void this.#loop(rec.ID, ac.signal).finally(() => {
          if (this.#loops.get(rec.ID) === ac) this.#loops.delete(rec.ID);
        });
      }
    }
    for (const [id, ac] of this.#loops) {
      const rec = this.#peering.byId(id)?.value;
      if (!rec || !isActive(rec)) ac.abort();
    }
  }

  async #loop(id: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let ring = 0;
    /** A follower's hint for the next attempt; failures while following hints count as precondition failures. */
    let hint: string | undefined;
    /** Consecutive transport failures: with several server addresses, each is tried before backing off. */
    let otherFailures = 0;
    const tracker = this.#sessionDeps.tracker;
    while (!signal.aborted) {
      const rec = this.#peering.byId(id)?.value;
      const secret = this.#peering.secrets(id)?.active;
      if (!rec || !isActive(rec) || !secret) return;
      const addrs = [...(this.#o.dialVia?.() ?? []), ...addressesToDial(rec)];
      const followingHint = hint !== undefined;
      const address = hint ?? (addrs[ring++ % addrs.length] as string);
      hint = undefined;
      let kind: FailureKind = 'other';
      let opened = false;
      let conn: PeerConnection | undefined;
      const session = new PeerSession(this.#sessionDeps, { send: (m) => conn?.send(m), drained: () => conn?.drained?.() ?? Promise.resolve(), end: () => conn?.end() }, {
        role: 'dialer',
        record: rec,
        ...(this.#o.heartbeatIntervalMs ? { heartbeatIntervalMs: this.#o.heartbeatIntervalMs } : {}),
        ...(this.#o.heartbeatTimeoutMs ? { heartbeatTimeoutMs: this.#o.heartbeatTimeoutMs } : {}),
      });
      const onAbort = (): void => session.end({ error: 'dialer stopped' });
      signal.addEventListener('abort', onAbort, { once: true });
      // When the session ends on its own (heartbeat timeout, Terminated), stop waiting on the stream:
      // at once after an error, after a short drain otherwise so the peer still receives Terminated.
      void session.done.then((end) => {
        const t = setTimeout(() => conn?.cancel(), end.error ? 0 : 1000);
        t.unref();
      });
      try {
        conn = this.#connect(address, { caPems: rec.PeerCAPems, serverName: rec.PeerServerName });
        if (!this.#registry.add(session)) throw Object.assign(new Error('there is an active stream for the given PeerID'), { grpcCode: 'FAILED_PRECONDITION' });
        conn.send({ Payload: { case: 'open', value: { PeerID: rec.PeerID, StreamSecretID: secret, Remote: { Partition: 'default', Datacenter: this.#o.datacenter } } } });
        session.start();
        for await (const msg of conn.messages) {
          if (!opened) {
            opened = true;
            tracker.connect(id);
            failures = 0;
            otherFailures = 0;
            this.#log.info('peer stream connected', { peer: rec.Name, address, role: 'dialer' });
          }
          try {
            await session.receive(msg);
          } catch (err) {
            if (err instanceof StreamError) {
              session.end({ error: err.message });
              conn.cancel();
              break;
            }
            throw err;
          }
        }
        session.end({ error: 'stream ended unexpectedly' });
      } catch (err) {
        const f = err as CodedFailure;
        kind = f.grpcCode === 'FAILED_PRECONDITION' || followingHint ? 'failed-precondition' : f.grpcCode === 'RESOURCE_EXHAUSTED' ? 'resource-exhausted' : 'other';
        if (f.grpcCode === 'FAILED_PRECONDITION' && f.leaderAddress) hint = f.leaderAddress;
        tracker.update(id, { lastSendError: Date.now(), lastSendErrorMessage: f.message });
        session.end({ error: f.message });
        conn?.cancel();
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      const end = await session.done;
      if (opened) {
        tracker.disconnect(id, end.terminatedByPeer || end.terminatedLocally ? undefined : end.error);
        this.#log.info('peer stream disconnected', { peer: rec.Name, reason: end.terminatedByPeer ? 'terminated by peer' : end.terminatedLocally ? 'deleted locally' : (end.error ?? 'closed') });
      }
      if (end.terminatedByPeer || end.terminatedLocally || signal.aborted) return;
      failures += 1;
      if (kind === 'other') otherFailures += 1;
      // Several servers (an HA peer): try each address once before the generic backoff grows.
      const delay =
        kind === 'other' && addrs.length > 1
          ? otherFailures % addrs.length !== 0
            ? 100
            : (this.#o.retryDelay ?? retryDelayMs)(kind, otherFailures / addrs.length)
          : (this.#o.retryDelay ?? retryDelayMs)(kind, failures);
      this.#log.debug('redialing peer', { peer: rec.Name, inMs: delay, failures, reason: end.error });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        t.unref();
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  }
}
