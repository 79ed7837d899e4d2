// What the PeeringAcceptor and PeeringDialer controllers do, as pure functions of what they observed:
// plan(desired CR, observed Secret + peering) → ordered actions. The executor (controller.ts) runs them in
// order and stops at the first failure, which becomes a Synced=False condition and a retry.
import { FINALIZER, PEERING_VERSION_ANNOTATION, REASON, type PeeringCR, type PeeringObserved, type SecretObj, type SecretRef } from './types.js';

export type PeeringAction =
  | { do: 'addFinalizer' }
  | { do: 'removeFinalizer' }
  | { do: 'deletePeering' }
  | { do: 'deleteSecret'; name: string }
  | { do: 'generateToken' }
  | { do: 'writeSecret'; name: string; key: string }
  | { do: 'establish'; token: string }
  | { do: 'updateStatus'; secret: SecretRef; latestPeeringVersion?: number }
  | { do: 'fail'; reason: string; message: string };

export interface Plan {
  actions: PeeringAction[];
  /** Why, for the log line (never contains a token). */
  why: string;
}

/** The peering-version annotation: undefined when absent; an error text (Go's strconv) when not a uint64. */
export function peeringVersion(cr: PeeringCR): { value?: number; error?: string } {
  const raw = cr.metadata.annotations?.[PEERING_VERSION_ANNOTATION];
  if (raw === undefined) return {};
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) return { error: `strconv.ParseUint: parsing ${JSON.stringify(raw)}: invalid syntax` };
  return { value: Number(raw) };
}

const versionRaised = (v: number | undefined, latest: number | undefined): boolean => v !== undefined && (latest === undefined || v > latest);

function common(cr: PeeringCR, kind: 'PeeringAcceptor' | 'PeeringDialer'): { stop?: Plan; pre: PeeringAction[] } {
  const deleting = cr.metadata.deletionTimestamp !== undefined;
  const hasFinalizer = (cr.metadata.finalizers ?? []).includes(FINALIZER);
  if (deleting) {
    if (!hasFinalizer) return { stop: { actions: [], why: 'being deleted, nothing of ours to clean up' }, pre: [] };
    const secret = cr.spec?.peer?.secret;
    const actions: PeeringAction[] = [{ do: 'deletePeering' }];
    // The acceptor owns the token Secret it wrote; the dialer's Secret was copied in by a person and stays.
    if (kind === 'PeeringAcceptor' && secret?.name && (secret.backend ?? 'kubernetes') === 'kubernetes') actions.push({ do: 'deleteSecret', name: secret.name });
    actions.push({ do: 'removeFinalizer' });
    return { stop: { actions, why: 'resource deleted' }, pre: [] };
  }
  const secret = cr.spec?.peer?.secret;
  if (!secret) return { stop: { actions: [{ do: 'fail', reason: REASON.internalError, message: 'spec.peer.secret must be specified' }], why: 'no secret in spec' }, pre: [] };
  if (secret.backend !== 'kubernetes') {
    return { stop: { actions: [{ do: 'fail', reason: REASON.internalError, message: `${kind} spec.peer.secret.backend must be "kubernetes"` }], why: 'unsupported backend' }, pre: [] };
  }
  return { pre: hasFinalizer ? [] : [{ do: 'addFinalizer' }] };
}

export interface AcceptorObserved {
  /** The Secret named in spec, if it exists. */
  specSecret: SecretObj | undefined;
  peering: PeeringObserved;
}

export function planAcceptor(cr: PeeringCR, seen: AcceptorObserved): Plan {
  const { stop, pre } = common(cr, 'PeeringAcceptor');
  if (stop) return { actions: [...pre, ...stop.actions], why: stop.why };
  const spec = cr.spec?.peer?.secret as Required<Pick<SecretRef, 'name' | 'backend'>> & SecretRef;
  const key = spec.key ?? '';
  const status = cr.status?.secret;
  const version = peeringVersion(cr);
  if (version.error) return { actions: [...pre, { do: 'fail', reason: REASON.internalError, message: version.error }], why: 'bad peering-version annotation' };
  if (status?.name && status.backend && status.backend !== spec.backend) {
    return { actions: [...pre, { do: 'fail', reason: REASON.internalError, message: 'PeeringAcceptor backend cannot be changed' }], why: 'backend changed' };
  }
  const latest = cr.status?.latestPeeringVersion;
  const newStatus: PeeringAction = { do: 'updateStatus', secret: { name: spec.name, key, backend: spec.backend }, ...(versionRaised(version.value, latest) ? { latestPeeringVersion: version.value } : {}) };
  const regenerate = (why: string, extra: PeeringAction[] = []): Plan => ({
    actions: [...pre, ...extra, { do: 'generateToken' }, { do: 'writeSecret', name: spec.name, key }, newStatus],
    why,
  });
  const oldSecret: PeeringAction[] = status?.name && status.name !== spec.name ? [{ do: 'deleteSecret', name: status.name }] : [];
  if (!seen.peering.exists) return regenerate('no peering on the server', oldSecret);
  if (status?.name && status.name !== spec.name) return regenerate('secret name changed', oldSecret);
  if (status?.name && (status.key ?? '') !== key) return regenerate('secret key changed');
  if (versionRaised(version.value, latest)) return regenerate(`peering-version raised to ${version.value}`);
  if (!seen.specSecret) return regenerate('token secret missing');
  if (!seen.specSecret.data?.[key]) return regenerate(`token secret has no key "${key}"`);
  // The peering and its Secret exist: never regenerate (that would void the token a dialer holds). An empty
  // status (say, a write lost to a restart) is filled in rather than left empty as consul-k8s does.
  if (!status?.name || (cr.status?.conditions ?? []).find((c) => c.type === 'Synced')?.status !== 'True') return { actions: [...pre, newStatus], why: 'recording the existing token' };
  return { actions: pre, why: 'in sync' };
}

export interface DialerObserved {
  specSecret: SecretObj | undefined;
  peering: PeeringObserved;
}

export function planDialer(cr: PeeringCR, seen: DialerObserved): Plan {
  const { stop, pre } = common(cr, 'PeeringDialer');
  if (stop) return { actions: [...pre, ...stop.actions], why: stop.why };
  const spec = cr.spec?.peer?.secret as Required<Pick<SecretRef, 'name' | 'backend'>> & SecretRef;
  const key = spec.key ?? '';
  if (!seen.specSecret) return { actions: [...pre, { do: 'fail', reason: REASON.internalError, message: 'PeeringDialer spec.peer.secret does not exist' }], why: 'waiting for the token secret' };
  const encoded = seen.specSecret.data?.[key];
  if (!encoded) return { actions: [...pre, { do: 'fail', reason: REASON.internalError, message: `PeeringDialer spec.peer.secret has no key "${key}"` }], why: 'token secret lacks the key' };
  const version = peeringVersion(cr);
  if (version.error) return { actions: [...pre, { do: 'fail', reason: REASON.internalError, message: version.error }], why: 'bad peering-version annotation' };
  const status = cr.status?.secret;
  const latest = cr.status?.latestPeeringVersion;
  const rv = seen.specSecret.metadata.resourceVersion;
  const establish = (why: string): Plan => ({
    actions: [
      ...pre,
      { do: 'establish', token: Buffer.from(encoded, 'base64').toString('utf8') },
      { do: 'updateStatus', secret: { name: spec.name, key, backend: spec.backend, ...(rv ? { resourceVersion: rv } : {}) }, ...(versionRaised(version.value, latest) ? { latestPeeringVersion: version.value } : {}) },
    ],
    why,
  });
  if (!status?.name) return establish('not established yet');
  if (!seen.peering.exists) return establish('no peering on the server');
  if (status.name !== spec.name || (status.key ?? '') !== key || status.backend !== spec.backend) return establish('secret reference changed');
  if (status.resourceVersion !== rv) return establish('token secret changed');
  if (versionRaised(version.value, latest)) return establish(`peering-version raised to ${version.value}`);
  return { actions: pre, why: 'in sync' };
}
