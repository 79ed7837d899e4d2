// The pod admission decision of the connect-inject webhook (`POST /mutate`): plan, then answer with a
// JSON patch, a refusal carrying the annotation error, or an unchanged pod.
import { AnnotationError } from './annotations.js';
import { jsonPatchBetween } from './patch.js';
import { planInjection, type InjectSettings, type Pod } from './plan.js';

export interface PodReview {
  uid: string;
  operation?: string;
  namespace?: string;
  object: unknown;
}

export interface PodVerdict {
  allowed: boolean;
  code: number;
  message: string;
  /** JSON patch operations (base64-encoded by the caller) when the pod is injected. */
  patch?: unknown[];
}

export async function admitPod(r: PodReview, settings: InjectSettings, namespaceLabels: (ns: string) => Promise<Record<string, string>>): Promise<PodVerdict> {
  const pod = r.object as Pod;
  const name = pod?.metadata?.name || pod?.metadata?.generateName || '';
  if (r.operation !== 'CREATE') return { allowed: true, code: 200, message: `${r.operation ?? ''} is not injected` };
  if (!pod || typeof pod !== 'object' || typeof pod.metadata !== 'object' || typeof pod.spec !== 'object') return { allowed: false, code: 400, message: 'Error decoding request: the object is not a pod' };
  const namespace = r.namespace || pod.metadata.namespace || 'default';
  try {
    // The namespace is read only when the pod leaves transparent proxy to it.
    const labels = pod.metadata.annotations?.['consul.hashicorp.com/transparent-proxy'] === undefined ? await namespaceLabels(namespace) : {};
    const d = planInjection(pod, namespace, labels, settings);
    if (!d.inject) return { allowed: true, code: 200, message: `Pod ${name} does not require injection (${d.reason})` };
    return { allowed: true, code: 200, message: `valid Pod request`, patch: jsonPatchBetween(pod, d.pod) };
  } catch (err) {
    if (err instanceof AnnotationError) return { allowed: false, code: 400, message: err.message };
    return { allowed: false, code: 500, message: `Error injecting pod ${namespace}/${name}: ${(err as Error).message}` };
  }
}
