// Durations are stored in milliseconds and shown as Go duration strings ("5s"), as Consul renders them.
import { formatGoDuration } from '../../lib/duration.js';

type Obj = Record<string, unknown>;

const fmt = (v: unknown): unknown => (typeof v === 'number' ? formatGoDuration(v) : v);

/** A route destination with its timeouts rendered. */
export function renderRouteDestination(d: Obj): Obj {
  const out = { ...d };
  for (const k of ['RequestTimeout', 'IdleTimeout']) if (k in out) out[k] = fmt(out[k]);
  return out;
}

/** A copy of a stored entry with its duration fields as Go duration strings. */
export function withGoDurations(e: Obj): Obj {
  if (e.Kind === 'service-resolver') {
    const out = { ...e };
    for (const k of ['ConnectTimeout', 'RequestTimeout']) if (k in out) out[k] = fmt(out[k]);
    return out;
  }
  if (e.Kind === 'service-router' && Array.isArray(e.Routes)) {
    return { ...e, Routes: (e.Routes as Obj[]).map((r) => (r.Destination ? { ...r, Destination: renderRouteDestination(r.Destination as Obj) } : r)) };
  }
  return e;
}
