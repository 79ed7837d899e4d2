// A lease-backed election on etcd: every server keeps one key `<prefix><lease>` alive with its lease;
// the candidate whose key was created first leads. A server whose lease stops renewing steps down
// before the lease can expire on the etcd side, then campaigns again with a new lease.
import type { Etcd3, Lease } from 'etcd3';

export interface Candidate {
  key: string;
  value: string;
  createRevision: number;
}

export interface EtcdElectionOptions {
  /** Lease TTL: a dead leader's key disappears after this. */
  ttlMs: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] as number) + 1;
  return end;
}

export class EtcdElection {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #ttlSec: number;
  readonly #log: (msg: string, fields?: Record<string, unknown>) => void;
  readonly #candidates = new Map<string, Candidate>();
  readonly #listeners = new Set<() => void>();
  #myKey: string | undefined;
  #lease: Lease | undefined;
  #stopped = false;
  #watchStop: (() => void) | undefined;
  #wakeCampaign: (() => void) | undefined;

  constructor(client: Etcd3, prefix: string, options: EtcdElectionOptions) {
    this.#client = client;
    this.#prefix = prefix;
    this.#ttlSec = Math.max(1, Math.round(options.ttlMs / 1000));
    this.#log = options.log ?? (() => undefined);
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }

  /** Candidates in election order (the first one leads). */
  candidates(): Candidate[] {
    return [...this.#candidates.values()].sort((a, b) => a.createRevision - b.createRevision);
  }

  /**
   * The leading candidate, as far as this server can tell: while it holds no live lease of its own
   * (etcd unreachable, or re-campaigning), it cannot, and reports none.
   */
  leader(): Candidate | undefined {
    return this.#myKey === undefined ? undefined : this.candidates()[0];
  }

  isLeader(): boolean {
    return this.#myKey !== undefined && this.leader()?.key === this.#myKey;
  }

  /** Starts observing and campaigning with `value` (what others see about this server). */
  start(value: string): void {
    void this.#observe();
    void this.#campaign(value);
  }

  async #observe(): Promise<void> {
    while (!this.#stopped) {
      try {
        const start = enc(this.#prefix);
        const r = await this.#client.kv.range({ key: start, range_end: rangeEnd(start) });
        this.#candidates.clear();
        for (const kv of r.kvs) this.#set(kv.key.toString(), kv.value.toString(), Number(kv.create_revision));
        this.#emit();
        const watcher = this.#client.watch().prefix(this.#prefix).startRevision(String(Number(r.header.revision) + 1)).watcher();
        await new Promise<void>((resolve) => {
          this.#watchStop = () => {
            void watcher.cancel().catch(() => undefined);
            resolve();
          };
          watcher.on('put', (kv) => {
            this.#set(kv.key.toString(), kv.value.toString(), Number(kv.create_revision));
            this.#emit();
          });
          watcher.on('delete', (kv) => {
            this.#candidates.delete(kv.key.toString());
            this.#emit();
          });
          // Compaction or cancellation: list again.
          watcher.on('error', () => {
            void watcher.cancel().catch(() => undefined);
            resolve();
          });
        });
      } catch (err) {
        this.#log('election observer failed; retrying', { error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  #set(key: string, value: string, createRevision: number): void {
    this.#candidates.set(key, { key, value, createRevision });
  }

  async #campaign(value: string): Promise<void> {
    while (!this.#stopped) {
      const lease = this.#client.lease(this.#ttlSec, { autoKeepAlive: true });
      this.#lease = lease;
      let lastRenewal = Date.now();
      let lost = false;
      const done = new Promise<void>((resolve) => {
        this.#wakeCampaign = resolve;
        lease.on('keepaliveSucceeded', () => {
          lastRenewal = Date.now();
        });
        lease.on('lost', () => {
          lost = true;
          resolve();
        });
      });
      // Step down well before the lease can run out on etcd's side.
      const watchdog = setInterval(() => {
        if (Date.now() - lastRenewal > this.#ttlSec * 1000 * 0.75) {
          lost = true;
          this.#wakeCampaign?.();
        }
      }, 100);
      try {
        const id = await lease.grant();
        const key = `${this.#prefix}${id}`;
        await lease.put(key).value(value).exec();
        lastRenewal = Date.now();
        this.#myKey = key;
        this.#log('campaigning', { key });
        this.#emit();
        await done;
      } catch (err) {
        lost = true;
        this.#log('campaign failed', { error: (err as Error).message });
      } finally {
        clearInterval(watchdog);
      }
      if (this.#myKey) {
        this.#candidates.delete(this.#myKey);
        this.#myKey = undefined;
        this.#emit();
      }
      if (lost && !this.#stopped) this.#log('lease lost; stepping down and campaigning again');
      void lease.revoke().catch(() => undefined);
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Resigns (revokes the lease, so another server leads at once) and stops observing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watchStop?.();
    const lease = this.#lease;
    this.#wakeCampaign?.();
    this.#myKey = undefined;
    await lease?.revoke().catch(() => undefined);
  }
}
