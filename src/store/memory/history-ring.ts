// A fixed-capacity ring of watch batches with consecutive revisions: O(1) append and trim (the
// oldest batch is overwritten, never shifted out of an array) and O(1) lookup of a revision.
import type { WatchBatch } from '../store.js';

export class HistoryRing {
  readonly #slots: (WatchBatch | undefined)[];
  #head = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('history capacity must be a positive integer');
    this.#slots = new Array<WatchBatch | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Revision of the oldest batch kept (undefined when empty). */
  get first(): number | undefined {
    return this.#size === 0 ? undefined : (this.#slots[this.#head] as WatchBatch).revision;
  }

  /** Appends the next revision; returns the batch it evicted when full. */
  push(batch: WatchBatch): WatchBatch | undefined {
    const first = this.first;
    if (first !== undefined && batch.revision !== first + this.#size) throw new Error(`history revisions must be consecutive: got ${batch.revision} after ${first + this.#size - 1}`);
    if (this.#size < this.capacity) {
      this.#slots[(this.#head + this.#size) % this.capacity] = batch;
      this.#size += 1;
      return undefined;
    }
    const evicted = this.#slots[this.#head];
    this.#slots[this.#head] = batch;
    this.#head = (this.#head + 1) % this.capacity;
    return evicted;
  }

  /** Forgets every batch at or below `revision`. */
  dropThrough(revision: number): void {
    const first = this.first;
    if (first === undefined || revision < first) return;
    const n = Math.min(this.#size, revision - first + 1);
    for (let i = 0; i < n; i++) this.#slots[(this.#head + i) % this.capacity] = undefined;
    this.#head = (this.#head + n) % this.capacity;
    this.#size -= n;
  }

  /** Batches from revision `from` (inclusive) to the newest, oldest first. */
  *from(from: number): Generator<WatchBatch> {
    const first = this.first;
    if (first === undefined) return;
    for (let i = Math.max(0, from - first); i < this.#size; i++) yield this.#slots[(this.#head + i) % this.capacity] as WatchBatch;
  }
}
