// Config entries: the only config-entry file that touches the store; keeps an in-memory index and topics.
import type { IndexHub } from '../../lib/index-hub.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { ConfigEntry, ConfigKind } from './schema.js';

const PREFIX = 'config/';

export const configTopics = {
  kind: (kind: string): string => `config|${kind}`,
  entry: (kind: string, name: string): string => `config|${kind}|${name}`,
};

function key(kind: string, name: string): string {
  return `${PREFIX}${kind}/${encodeURIComponent(name)}`;
}

export interface StoredEntry {
  entry: ConfigEntry;
  createIndex: number;
  modifyIndex: number;
}

/** Read view of config entries (handed to readers such as intentions and, later, peering). */
export interface ConfigEntryReader {
  get(kind: ConfigKind, name: string): StoredEntry | undefined;
  list(kind: ConfigKind): StoredEntry[];
}

export type ConfigChangeListener = (kind: ConfigKind, name: string) => void;

/** A cross-entry check run before a write or delete commits; `lookup` already reflects the change. */
export type ConfigGuard = (lookup: (kind: ConfigKind, name: string) => ConfigEntry | undefined, kind: ConfigKind, name: string, names: () => string[]) => void;

export class ConfigEntryService implements ConfigEntryReader {
  readonly #store: Store;
  readonly #hub: IndexHub;
  readonly #entries = new Map<string, Map<string, StoredEntry>>();
  readonly #writes = new SerialQueue();
  readonly #listeners = new Set<ConfigChangeListener>();
  /** Cross-entry checks (discovery-chain protocol rules); a throw refuses the write. */
  readonly guards: ConfigGuard[] = [];

  constructor(deps: { store: Store; hub: IndexHub }) {
    this.#store = deps.store;
    this.#hub = deps.hub;
  }

  async load(): Promise<void> {
    const { entries, revision } = await this.#store.list(PREFIX);
    for (const e of entries) {
      const entry = JSON.parse(e.value) as ConfigEntry;
      this.#kind(entry.Kind).set(entry.Name, { entry, createIndex: e.createRevision, modifyIndex: e.modRevision });
    }
    this.#hub.setFloor(revision);
  }

  /** Applies entries committed by any server of a shared store (HA). */
  applyReplicated(events: WatchEvent[], revision: number): void {
    for (const e of events) {
      const [kind, encoded] = e.key.slice(PREFIX.length).split('/') as [string, string | undefined];
      if (!kind || encoded === undefined) continue;
      const name = decodeURIComponent(encoded);
      if (e.type === 'put') {
        const entry = JSON.parse(e.entry.value) as ConfigEntry;
        this.#kind(kind).set(name, { entry, createIndex: e.entry.createRevision, modifyIndex: e.entry.modRevision });
      } else {
        this.#entries.get(kind)?.delete(name);
      }
      this.#changed(kind as ConfigKind, name, revision);
    }
  }

  /** Called after every committed change (intentions caches, peering exports). */
  onChange(listener: ConfigChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #kind(kind: string): Map<string, StoredEntry> {
    let m = this.#entries.get(kind);
    if (!m) this.#entries.set(kind, (m = new Map()));
    return m;
  }

  get(kind: ConfigKind, name: string): StoredEntry | undefined {
    return this.#entries.get(kind)?.get(name);
  }

  list(kind: ConfigKind): StoredEntry[] {
    return [...(this.#entries.get(kind)?.values() ?? [])].sort((a, b) => (a.entry.Name < b.entry.Name ? -1 : 1));
  }

  #guard(kind: ConfigKind, name: string, next: ConfigEntry | undefined): void {
    if (this.guards.length === 0) return;
    const lookup = (k: ConfigKind, n: string): ConfigEntry | undefined => (k === kind && n === name ? next : this.get(k, n)?.entry);
    const names = (): string[] => [...new Set([...this.#entries.values()].flatMap((m) => [...m.keys()]).concat(next ? [name] : []))];
    for (const g of this.guards) g(lookup, kind, name, names);
  }

  #changed(kind: ConfigKind, name: string, revision: number): void {
    this.#hub.bump([configTopics.kind(kind), configTopics.entry(kind, name)], revision);
    for (const l of this.#listeners) l(kind, name);
  }

  /**
   * Writes an entry. With `cas`: 0 creates only when absent; otherwise the stored ModifyIndex must
   * equal it. Returns false when the CAS check fails.
   */
  set(entry: ConfigEntry, options: { cas?: number } = {}): Promise<boolean> {
    return this.#writes.run(async () => {
      const k = key(entry.Kind, entry.Name);
      const cur = this.get(entry.Kind, entry.Name);
      if (options.cas !== undefined && (cur?.modifyIndex ?? 0) !== options.cas) return false;
      this.#guard(entry.Kind, entry.Name, entry);
      const compare = [{ key: k, modRevision: cur?.modifyIndex ?? 0 }];
      const r = await this.#store.txn({ compare, success: [{ type: 'put', key: k, value: JSON.stringify(entry) }] });
      if (!r.succeeded) return false;
      this.#kind(entry.Kind).set(entry.Name, { entry, createIndex: cur?.createIndex ?? r.revision, modifyIndex: r.revision });
      this.#changed(entry.Kind, entry.Name, r.revision);
      return true;
    });
  }

  /** Deletes an entry; with `cas` only when ModifyIndex matches (0 never deletes). Missing entries are a no-op. */
  delete(kind: ConfigKind, name: string, options: { cas?: number } = {}): Promise<boolean> {
    return this.#writes.run(async () => {
      const cur = this.get(kind, name);
      if (options.cas !== undefined && (options.cas === 0 || cur?.modifyIndex !== options.cas)) return false;
      if (!cur) return true;
      this.#guard(kind, name, undefined);
      const r = await this.#store.txn({ success: [{ type: 'delete', key: key(kind, name) }] });
      this.#entries.get(kind)?.delete(name);
      this.#changed(kind, name, r.revision);
      return true;
    });
  }
}
