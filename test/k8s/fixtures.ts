// Chart-rendered pieces the Kubernetes tests reuse: CRDs, and the webhook configuration with its serving cert.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

let serving: { cert: string; key: string; ca: string } | undefined;

/** A CA and a serving certificate for 127.0.0.1, made by helm's genCA/genSignedCert (no openssl needed). */
export function apiServerTls(): { cert: string; key: string; ca: string } {
  if (serving) return serving;
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-certs-'));
  try {
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: certs\nversion: 0.0.1\n');
    writeFileSync(
      join(dir, 'templates', 'certs.yaml'),
      '{{- $ca := genCA "double-ca" 30 -}}\n{{- $c := genSignedCert "kube-apiserver" (list "127.0.0.1") (list "localhost") 30 $ca -}}\nca: {{ $ca.Cert | b64enc }}\ncert: {{ $c.Cert | b64enc }}\nkey: {{ $c.Key | b64enc }}\n',
    );
    const r = helm(['template', 'c', dir]);
    if (r.code !== 0) throw new Error(r.stderr);
    const doc = yaml.load(r.stdout.replace(/^---.*$/m, '').replace(/^#.*$/gm, '')) as Record<string, string>;
    const dec = (k: string): string => Buffer.from(doc[k] as string, 'base64').toString('utf8');
    serving = { ca: dec('ca'), cert: dec('cert'), key: dec('key') };
    return serving;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
