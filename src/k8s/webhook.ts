// The admission webhook server (HTTPS): AdmissionReview v1 and v1beta1 at consul-k8s's paths
// /mutate-v1alpha1-<plural>, answering with the checks in validate.ts, and /mutate for pods (connect
// injection, inject/handler.ts); GET /readyz for probes.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/log.js';
import type { KubeApi } from './kube.js';
import { CONFIG_KINDS, PEERING_KINDS, type ConfigCR, type PeeringCR } from './types.js';
import { validateConfig, validatePeering, type Verdict } from './validate.js';
import { parseJsonText } from '../lib/json-decode.js';
import { admitPod } from './inject/handler.js';
import type { InjectSettings } from './inject/plan.js';

export interface WebhookOptions {
  kube: KubeApi;
  log: Logger;
  cert: string;
  key: string;
  host: string;
  port: number;
  enablePeering: boolean;
  /** Serve connect injection for pods at /mutate with these settings (404 there when absent). */
  inject?: InjectSettings;
}

interface Review {
  apiVersion?: string;
  request?: { uid?: string; operation?: string; namespace?: string; object?: { metadata?: { name?: string; namespace?: string } } };
}

export class WebhookServer {
  readonly #o: WebhookOptions;
  readonly #server: https.Server;

  constructor(o: WebhookOptions) {
    this.#o = o;
    this.#server = https.createServer({ cert: o.cert, key: o.key }, (req, res) => {
      const send = (code: number, body: unknown): void => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' });
        res.end(text);
      };
      if (req.method === 'GET' && (req.url === '/readyz' || req.url === '/healthz')) return send(200, 'ok');
      const pods = req.url === '/mutate' && o.inject !== undefined;
      const plural = /^\/mutate-v1alpha1-([a-z]+)$/.exec(req.url ?? '')?.[1];
      const kind = pods ? { kind: 'Pod', plural: 'pods' } : [...(o.enablePeering ? PEERING_KINDS : []), ...CONFIG_KINDS].find((k) => k.plural === plural);
      if (req.method !== 'POST' || !kind) return send(404, 'not found');
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        body += d;
        if (body.length > 4 << 20) req.destroy();
      });
      req.on('end', () => {
        let review: Review;
        try {
          review = parseJsonText(body) as Review; // nesting bounded (issue 10)
          if (!review.request?.uid || !review.request.object) throw new Error('no request in the AdmissionReview');
        } catch (err) {
          return send(400, `could not decode the admission review: ${(err as Error).message}`);
        }
        const decided: Promise<Verdict & { code?: number; patch?: unknown[] }> = pods
          ? admitPod({ uid: review.request.uid, ...(review.request.operation ? { operation: review.request.operation } : {}), ...(review.request.namespace ? { namespace: review.request.namespace } : {}), object: review.request.object }, o.inject as InjectSettings, (ns) => o.kube.namespaceLabels(ns))
          : this.#decide(kind.kind, kind.plural, review);
        decided.then(
          (v) => {
            const r = review.request as Required<Review>['request'];
            if (!v.allowed) o.log.info('admission denied', { kind: kind.kind, namespace: r.namespace ?? r.object?.metadata?.namespace, name: r.object?.metadata?.name, operation: r.operation, reason: v.message });
            else if (v.patch) o.log.info('pod injected', { namespace: r.namespace, name: r.object?.metadata?.name || (r.object?.metadata as { generateName?: string } | undefined)?.generateName });
            send(200, {
              apiVersion: review.apiVersion ?? 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: {
                uid: r.uid,
                allowed: v.allowed,
                status: v.allowed ? { code: 200, message: v.message } : { code: v.code ?? 400, message: v.message },
                ...(v.patch ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(v.patch)).toString('base64') } : {}),
              },
            });
          },
          (err: unknown) => {
            o.log.error('admission check failed', { kind: kind.kind, error: (err as Error).message });
            send(200, { apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request?.uid, allowed: false, status: { code: 500, message: (err as Error).message } } });
          },
        );
      });
    });
  }

  async #decide(kind: string, plural: string, review: Review): Promise<Verdict> {
    const req = review.request as NonNullable<Review['request']>;
    const obj = req.object as unknown;
    const operation = req.operation ?? '';
    if (operation !== 'CREATE' && operation !== 'UPDATE') return { allowed: true, message: `valid ${plural} request` };
    const existing = (await this.#o.kube.listCustom(plural, undefined)).items as unknown[];
    if (kind === 'PeeringAcceptor' || kind === 'PeeringDialer') return validatePeering(kind, operation, obj as PeeringCR, existing as PeeringCR[]);
    return validateConfig(kind, plural, operation, obj as ConfigCR, existing as ConfigCR[]);
  }

  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => resolve());
    });
    const a = this.#server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
