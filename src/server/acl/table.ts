// One kind of ACL record kept in the store under a key prefix, mirrored in memory with its indexes.
import type { Indexed } from './types.js';

/** The store writes a table asks for (a subset of the store's TxnOp; service.ts commits them). */
export type TableOp = { type: 'put'; key: string; value: string } | { type: 'delete'; key: string };

/** How a table reads its prefix at start (service.ts passes the store's list). */
export type ListEntries = (prefix: string) => Promise<{ value: string; createRevision: number; modRevision: number }[]>;

export class RecordTable<T> {
  readonly prefix: string;
  readonly #idOf: (v: T) => string;
  readonly #items = new Map<string, Indexed<T>>();

  constructor(prefix: string, idOf: (v: T) => string) {
    this.prefix = prefix;
    this.#idOf = idOf;
  }

  owns(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  async load(list: ListEntries): Promise<void> {
    for (const e of await list(this.prefix)) this.applyPut(e.value, e.createRevision, e.modRevision);
  }

  /** Mirrors a committed put; `createIndex` is kept from an earlier version when the caller does not know it. */
  applyPut(value: string, createIndex: number | undefined, modifyIndex: number): void {
    const v = JSON.parse(value) as T;
    const id = this.#idOf(v);
    this.#items.set(id, { value: v, createIndex: createIndex ?? this.#items.get(id)?.createIndex ?? modifyIndex, modifyIndex });
  }

  applyDelete(key: string): void {
    this.#items.delete(key.slice(this.prefix.length));
  }

  get(id: string): Indexed<T> | undefined {
    return this.#items.get(id);
  }

  has(id: string): boolean {
    return this.#items.has(id);
  }

  values(): Indexed<T>[] {
    return [...this.#items.values()];
  }

  find(pred: (v: T) => boolean): Indexed<T> | undefined {
    for (const i of this.#items.values()) if (pred(i.value)) return i;
    return undefined;
  }

  putOp(v: T): TableOp {
    return { type: 'put', key: this.prefix + this.#idOf(v), value: JSON.stringify(v) };
  }

  deleteOp(id: string): TableOp {
    return { type: 'delete', key: this.prefix + id };
  }
}
