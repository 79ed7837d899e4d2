// What the injected init container waits for (dataplane-l7-auth.md §8): the node `<k8s-node>-virtual`
// holding exactly this pod's service and its sidecar proxy (meta pod-name and k8s-namespace), polled every
// second up to a bound. The choice is pure (pickProxy); the polling reads the catalog through the SDK.
import { ApiError, type IsthmusClient } from '../../sdk/client.js';

export interface NodeService {
  ID: string;
  Service: string;
  Kind?: string;
  Meta?: Record<string, string> | null;
  Proxy?: { DestinationServiceName?: string } | null;
}

export interface PodRef {
  node: string;
  pod: string;
  namespace: string;
  /** The connect-service annotation, when set. */
  service?: string;
}

/** This pod's registrations (of one service, when named: a multi-port pod has a pair per service). */
function ofPod(services: NodeService[], ref: PodRef): NodeService[] {
  return services.filter(
    (s) => s.Meta?.['pod-name'] === ref.pod && s.Meta?.['k8s-namespace'] === ref.namespace && (!ref.service || (s.Kind === 'connect-proxy' ? s.Proxy?.DestinationServiceName === ref.service : s.Service === ref.service)),
  );
}

/** The proxy ID once the pod's service and proxy are both registered; undefined while they are not. */
export function pickProxy(services: NodeService[], ref: PodRef): string | undefined {
  const mine = ofPod(services, ref);
  if (mine.length !== 2) return undefined;
  const proxy = mine.find((s) => s.Kind === 'connect-proxy');
  const app = mine.find((s) => s.Kind !== 'connect-proxy');
  return proxy && app ? proxy.ID : undefined;
}

export class RegistrationTimeout extends Error {}

/** Polls the node's services until pickProxy answers; the last answer seen goes into the timeout error. */
export async function waitForProxy(client: IsthmusClient, ref: PodRef, opts: { attempts: number; intervalMs: number; onWait?: (n: number, why: string) => void }): Promise<string> {
  let last = '';
  for (let n = 1; n <= opts.attempts; n++) {
    try {
      const r = await client.request<{ Services?: NodeService[] | null } | null>('GET', `/v1/catalog/node-services/${encodeURIComponent(ref.node)}`);
      const services = r?.Services ?? [];
      const id = pickProxy(services, ref);
      if (id) return id;
      last = `found ${ofPod(services, ref).length} of 2 services for pod ${ref.namespace}/${ref.pod}${ref.service ? ` (service ${ref.service})` : ''} on node ${ref.node}`;
    } catch (err) {
      last = err instanceof ApiError && err.status === 404 ? `node ${ref.node} is not registered` : (err as Error).message;
    }
    opts.onWait?.(n, last);
    if (n < opts.attempts) await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
  throw new RegistrationTimeout(`timed out waiting for service registration: ${last}`);
}
