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
const series = new Map<string, Sample[]>();

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
}

export function samples(peerId: string): Sample[] {
  return series.get(peerId) ?? [];
}
