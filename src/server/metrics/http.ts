// GET /v1/agent/metrics: gauges in Consul's JSON shape, or Prometheus text with ?format=prometheus.
import type { Handler } from '../http/request.js';
import { queryOne } from '../http/request.js';

export interface Gauge {
  name: string;
  help: string;
  value: number;
  labels: Record<string, string>;
}

function promName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition (format 0.0.4) of a set of gauges. */
export function prometheusText(gauges: Gauge[]): string {
  const byName = new Map<string, Gauge[]>();
  for (const g of gauges) byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
  const lines: string[] = [];
  for (const [name, list] of byName) {
    const n = promName(name);
    lines.push(`# HELP ${n} ${(list[0] as Gauge).help}`, `# TYPE ${n} gauge`);
    for (const g of list) {
      const labels = Object.entries(g.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${n}${labels.length ? `{${labels.join(',')}}` : ''} ${g.value}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function metricsHandler(collect: () => Gauge[]): Handler {
  return async (req) => {
    const gauges = collect();
    if (queryOne(req.query, 'format') === 'prometheus') {
      return { text: prometheusText(gauges), headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' } };
    }
    return {
      json: {
        Timestamp: new Date().toISOString(),
        Gauges: gauges.map((g) => ({ Name: g.name, Value: g.value, Labels: g.labels })),
        Points: [],
        Counters: [],
        Samples: [],
      },
    };
  };
}
