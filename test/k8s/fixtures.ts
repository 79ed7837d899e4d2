// Chart-rendered pieces the Kubernetes tests reuse: CRDs, and the webhook configuration with its serving cert.
import yaml from 'js-yaml';
import { CHART, helm } from './tools.js';

export const PEERING_VALUES = ['global.peering.enabled=true', 'global.tls.enabled=true', 'meshGateway.enabled=true'];

export interface Rendered {
  crds: string;
  webhookConfig: Record<string, unknown>;
  cert: string;
  key: string;
  /** Name and namespace of the webhook Service. */
  service: { name: string; namespace: string };
}

let cached: Rendered | undefined;

/** Renders the chart once (release "r", namespace "consul") with peering on. */
export function rendered(): Rendered {
  if (cached) return cached;
  const r = helm(['template', 'r', CHART, '--namespace', 'consul', ...PEERING_VALUES.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(r.stderr);
  const docs = (yaml.loadAll(r.stdout) as ({ kind: string; metadata: { name: string }; data?: Record<string, string> } | null)[]).filter((d) => d !== null);
  const crds = docs.filter((d) => d.kind === 'CustomResourceDefinition').map((d) => yaml.dump(d)).join('---\n');
  const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'r-isthmus-connect-inject-webhook-cert');
  const webhookConfig = docs.find((d) => d.kind === 'MutatingWebhookConfiguration') as unknown as Record<string, unknown>;
  if (!secret?.data || !webhookConfig) throw new Error('chart did not render the webhook pieces');
  cached = {
    crds,
    webhookConfig,
    cert: Buffer.from(secret.data['tls.crt'] as string, 'base64').toString('utf8'),
    key: Buffer.from(secret.data['tls.key'] as string, 'base64').toString('utf8'),
    service: { name: 'r-isthmus-connect-injector', namespace: 'consul' },
  };
  return cached;
}
