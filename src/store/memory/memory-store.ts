// In-memory Store backend: the reference implementation, used by tests and `agent --dev`.
import { IsthmusError } from '../../lib/errors.js';
import type { Entry, ListResult, Store, TxnOp, TxnOptions, TxnRequest, TxnResult, WatchBatch, WatchEvent, WatchOptions } from '../store.js';
import { WatchBroker } from '../watch-broker.js';
import { HistoryRing } from './history-ring.js';
import { flat } from '../../lib/intern.js';

/** How many revisions of history are kept for watches before older ones are compacted. */
export const DEFAULT_HISTORY_REVISIONS = 50_000;

export interface MemoryStoreOptions {
  /** @default DEFAULT_HISTORY_REVISIONS */
  historyRevisions?: number;
}

export class MemoryStore implements Store {
  readonly #data = new Map<string, Entry>();
  readonly #history: HistoryRing;
  readonly #historyRevisions: number;
  readonly #broker: WatchBroker;
  #revision = 0;
  #compacted = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#historyRevisions = options.historyRevisions ?? DEFAULT_HISTORY_REVISIONS;
    this.#history = new HistoryRing(Math.max(1, this.#historyRevisions));
    this.#broker = new WatchBroker({
      compactedRevision: () => this.#compacted,
      currentRevision: () => this.#revision,
      history: (prefix, from) => {
        const out: WatchBatch[] = [];
        for (const b of this.#history.from(from)) {
          const events = b.events.filter((e) => e.key.startsWith(prefix));
          if (events.length > 0) out.push({ revision: b.revision, events });
        }
        return out;
      },
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new IsthmusError('FAILED_PRECONDITION', 'store is closed');
  }

  async get(key: string): Promise<Entry | undefined> {
    this.#assertOpen();
    return this.#data.get(key);
  }

  async list(prefix: string): Promise<ListResult> {
    this.#assertOpen();
    const entries: Entry[] = [];
    for (const [k, e] of this.#data) if (k.startsWith(prefix)) entries.push(e);
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, revision: this.#revision };
  }

  async revision(): Promise<number> {
    return this.#revision;
  }

  async txn(request: TxnRequest, options: TxnOptions = {}): Promise<TxnResult> {
    this.#assertOpen();
    const ok = (request.compare ?? []).every((c) => (this.#data.get(c.key)?.modRevision ?? 0) === c.modRevision);
    const ops = ok ? request.success : (request.failure ?? []);
    const events = this.#apply(ops, this.#revision + 1);
    if (events.length > 0) {
      this.#revision += 1;
      const batch = { revision: this.#revision, events };
      // A full ring overwrites its oldest revision: that revision is compacted.
      const evicted = this.#history.push(batch);
      if (evicted) this.#compacted = Math.max(this.#compacted, evicted.revision);
      this.#trimHistory();
      this.#broker.publish(batch);
    }
    const result = { succeeded: ok, revision: this.#revision };
    options.onApplied?.(result);
    return result;
  }

  #apply(ops: TxnOp[], rev: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    const del = (key: string): void => {
      if (this.#data.delete(key)) events.push({ type: 'delete', key, revision: rev });
    };
    for (const op of ops) {
      if (op.type === 'put') {
        const prev = this.#data.get(op.key);
        const entry: Entry = {
          key: flat(op.key),
          value: flat(op.value),
          createRevision: prev?.createRevision ?? rev,
          modRevision: rev,
          version: (prev?.version ?? 0) + 1,
        };
        this.#data.set(op.key, entry);
        events.push({ type: 'put', key: op.key, entry });
      } else if (op.type === 'delete') {
        del(op.key);
      } else {
        for (const key of [...this.#data.keys()]) if (key.startsWith(op.prefix)) del(key);
      }
    }
    return events;
  }

  #trimHistory(): void {
    const keepFrom = this.#revision - this.#historyRevisions;
    if (keepFrom > this.#compacted) this.#compactTo(keepFrom);
  }

  #compactTo(revision: number): void {
    this.#history.dropThrough(revision);
    this.#compacted = Math.max(this.#compacted, revision);
  }

  async compact(revision: number): Promise<void> {
    this.#assertOpen();
    this.#compactTo(Math.min(revision, this.#revision));
  }

  watch(prefix: string, options?: WatchOptions): AsyncIterable<WatchBatch> {
    return this.#broker.watch(prefix, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#broker.close();
  }
}
