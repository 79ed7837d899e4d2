// Virtual IPs per (peer, service name), kept in the store so they survive restarts (spec §1).
// The only virtual-ips file that touches the store.
import type { IndexHub } from '../../lib/index-hub.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp } from '../../store/store.js';
import { nextOffset, vipFromOffset } from './alloc.js';

const PREFIX = 'vip/';
const COUNTER_KEY = 'vip/counter';
const FREED_KEY = 'vip/freed';
export const VIP_TOPIC = 'virtual-ips';

export interface VipRecord {
  Peer: string;
  Service: string;
  Offset: number;
  ManualVIPs: string[];
}

function key(peer: string, name: string): string {
  return `${PREFIX}svc/${encodeURIComponent(peer)}/${encodeURIComponent(name)}`;
}
const id = (peer: string, name: string): string => `${peer}\0${name}`;

export interface ManualVipResult {
  Found: boolean;
  UnassignedFrom: { ServiceName: { Name: string; Namespace: string; Partition: string }; Peer: string }[];
}

export class VirtualIpService {
  readonly #store: Store;
  readonly #hub: IndexHub;
  readonly #records = new Map<string, VipRecord>();
  readonly #freed = new Set<number>();
  #counter = 0;
  readonly #writes = new SerialQueue();
  /** Whether (peer, name) still needs its VIP (instances or config entries name it). */
  inUse: (peer: string, name: string) => boolean = () => true;

  constructor(deps: { store: Store; hub: IndexHub }) {
    this.#store = deps.store;
    this.#hub = deps.hub;
  }

  async load(): Promise<void> {
    const { entries } = await this.#store.list(PREFIX);
    for (const e of entries) {
      if (e.key === COUNTER_KEY) this.#counter = Number(e.value);
      else if (e.key === FREED_KEY) for (const f of JSON.parse(e.value) as number[]) this.#freed.add(f);
      else {
        const r = JSON.parse(e.value) as VipRecord;
        this.#records.set(id(r.Peer, r.Service), r);
      }
    }
  }

  /** The auto VIP of (peer, name), if assigned. */
  vip(peer: string, name: string): string | undefined {
    const r = this.#records.get(id(peer, name));
    return r ? vipFromOffset(r.Offset) : undefined;
  }

  manualVips(peer: string, name: string): string[] {
    return this.#records.get(id(peer, name))?.ManualVIPs ?? [];
  }

  /** Every (peer, name) with its auto and manual VIPs (the transparent proxy's routing table). */
  all(): { peer: string; service: string; vip: string; manual: string[] }[] {
    return [...this.#records.values()].map((r) => ({ peer: r.Peer, service: r.Service, vip: vipFromOffset(r.Offset), manual: r.ManualVIPs }));
  }

  async #commit(ops: TxnOp[]): Promise<void> {
    const { revision } = await this.#store.txn({ success: ops });
    this.#hub.bump([VIP_TOPIC], revision);
  }

  /** Assigns the VIP of (peer, name) if it has none; idempotent. Returns the VIP. */
  assign(peer: string, name: string): Promise<string> {
    const existing = this.vip(peer, name);
    if (existing) return Promise.resolve(existing);
    return this.#writes.run(async () => {
      const again = this.vip(peer, name);
      if (again) return again;
      const next = nextOffset(this.#counter, this.#freed);
      const rec: VipRecord = { Peer: peer, Service: name, Offset: next.offset, ManualVIPs: [] };
      const freed = new Set(this.#freed);
      freed.delete(next.offset);
      await this.#commit([
        { type: 'put', key: key(peer, name), value: JSON.stringify(rec) },
        { type: 'put', key: COUNTER_KEY, value: String(next.counter) },
        { type: 'put', key: FREED_KEY, value: JSON.stringify([...freed]) },
      ]);
      this.#records.set(id(peer, name), rec);
      this.#counter = next.counter;
      this.#freed.delete(next.offset);
      return vipFromOffset(rec.Offset);
    });
  }

  /** Frees the VIPs of names nobody uses any more (checked when the write queue gets to it). */
  released(peer: string, names: string[]): Promise<void> {
    return this.#writes.run(async () => {
      for (const name of names) {
        const r = this.#records.get(id(peer, name));
        if (!r || this.inUse(peer, name)) continue;
        const freed = new Set(this.#freed).add(r.Offset);
        await this.#commit([
          { type: 'delete', key: key(peer, name) },
          { type: 'put', key: FREED_KEY, value: JSON.stringify([...freed]) },
        ]);
        this.#records.delete(id(peer, name));
        this.#freed.add(r.Offset);
      }
    });
  }

  /**
   * Replaces the manual VIPs of a local service; the same IPs are taken away from other services,
   * which are listed in UnassignedFrom. Found=false (nothing changed) when the name has no VIP entry.
   */
  setManual(name: string, ips: string[]): Promise<ManualVipResult> {
    return this.#writes.run(async () => {
      const rec = this.#records.get(id('', name));
      if (!rec) return { Found: false, UnassignedFrom: [] };
      const wanted = new Set(ips);
      const ops: TxnOp[] = [];
      const changed: VipRecord[] = [];
      const UnassignedFrom: ManualVipResult['UnassignedFrom'] = [];
      for (const other of this.#records.values()) {
        if (other === rec || other.Peer !== '') continue;
        const kept = other.ManualVIPs.filter((ip) => !wanted.has(ip));
        if (kept.length === other.ManualVIPs.length) continue;
        const next = { ...other, ManualVIPs: kept };
        changed.push(next);
        ops.push({ type: 'put', key: key(other.Peer, other.Service), value: JSON.stringify(next) });
        UnassignedFrom.push({ ServiceName: { Name: other.Service, Namespace: 'default', Partition: 'default' }, Peer: other.Peer });
      }
      const mine = { ...rec, ManualVIPs: [...wanted] };
      changed.push(mine);
      ops.push({ type: 'put', key: key('', name), value: JSON.stringify(mine) });
      await this.#commit(ops);
      for (const c of changed) this.#records.set(id(c.Peer, c.Service), c);
      return { Found: true, UnassignedFrom };
    });
  }
}
