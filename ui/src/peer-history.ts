// Each peer's heartbeat age and receive lag over time, sampled from polling (kept while the tab is open).
import type { Peering } from './types';

export interface Sample {
  /** Agent clock, ms. */
  t: number;
  /** Seconds since the last heartbeat from the peer (null: none yet). */
  heartbeatAge: number | null;
  /** Seconds since anything was last received from the peer: how stale imported data may be. */
  receiveLag: number | null;
}

const MAX_SAMPLES = 150;
const STORAGE_KEY = 'isthmus.peer-history';

/** Survives reloads of the tab (sessionStorage), so the picture keeps its recent past. */
const series: Map<string, Sample[]> = (() => {
  try {
    return new Map(JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as [string, Sample[]][]);
  } catch {
    return new Map();
  }
})();

function persist(): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify([...series]));
  } catch {
    // storage full or unavailable: history stays in memory only
  }
}

/**
 * The agent's clock for a response: the Date header has 1 s resolution, so when our clock agrees
 * with it (same machine, synced clocks) ours is the better reading.
 */
export function agentNow(dateHeaderMs: number): number {
  const mine = Date.now();
  return Math.abs(mine - dateHeaderMs) < 2000 ? mine : dateHeaderMs;
}

export function ageSeconds(ts: string | null | undefined, now: number): number | null {
  if (!ts) return null;
  const t = Date.parse(ts);
  if (Number.isNaN(t) || t <= 0) return null;
  return Math.max(0, (now - t) / 1000);
}

/** Records one sample per peer (at most one per second per peer). */
export function record(peerings: Peering[], serverNow: number): void {
  for (const p of peerings) {
    const s = series.get(p.ID) ?? [];
    const last = s[s.length - 1];
    if (last && serverNow - last.t < 900) continue;
    s.push({ t: serverNow, heartbeatAge: ageSeconds(p.StreamStatus.LastHeartbeat, serverNow), receiveLag: ageSeconds(p.StreamStatus.LastReceive, serverNow) });
    if (s.length > MAX_SAMPLES) s.splice(0, s.length - MAX_SAMPLES);
    series.set(p.ID, s);
  }
  persist();
}

export function samples(peerId: string): Sample[] {
  return series.get(peerId) ?? [];
}
