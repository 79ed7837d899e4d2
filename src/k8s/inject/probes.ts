// Pure: HTTP probe rewriting of transparent-proxy pods (dataplane-l7-auth.md §8). With every inbound port
// redirected to the sidecar's mTLS listener, the kubelet's plain-HTTP probes would fail; consul-k8s moves them to
// 20300 (liveness), 20400 (readiness) and 20500 (startup) + the container's index, excludes those ports from
// redirection, and has the sidecar forward them to the app's original port (here: `-expose-listener PORT:APP`).
import type { Container } from './plan.js';

export const PROBE_PORT_BASE = { livenessProbe: 20300, readinessProbe: 20400, startupProbe: 20500 } as const;

export interface ProbeRewrite {
  /** Ports to leave out of inbound redirection. */
  excludeInbound: string[];
  /** `<listen>:<app port>` pairs the sidecar forwards. */
  expose: string[];
}

/** Rewrites the HTTP probes of the app containers in place (indexes as in the pod before injection). */
export function overwriteProbes(containers: Container[]): ProbeRewrite {
  const out: ProbeRewrite = { excludeInbound: [], expose: [] };
  for (const [i, c] of containers.entries()) {
    for (const [kind, base] of Object.entries(PROBE_PORT_BASE)) {
      const get = (c[kind] as { httpGet?: { port?: number | string } } | undefined)?.httpGet;
      if (!get || get.port === undefined) continue;
      const original = typeof get.port === 'number' ? get.port : /^\d+$/.test(get.port) ? Number(get.port) : (c.ports ?? []).find((p) => p.name === get.port)?.containerPort;
      if (!original) continue;
      const port = base + i;
      get.port = port;
      out.excludeInbound.push(String(port));
      out.expose.push(`${port}:${original}`);
    }
  }
  return out;
}
