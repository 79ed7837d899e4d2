// Pure validation of the L7 config entries (service-router, service-splitter, resolver subsets) and
// L7 intention permissions, with Consul's texts (dataplane-l7-auth.md §3, §5).
import { invalid } from '../../lib/errors.js';
import { compileFilter } from '../../lib/filter.js';

type Obj = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'];
const RETRY_ON = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx', 'refused-stream', 'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];
const SUBSET_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The common HTTP match checks of routes and permissions; `at` prefixes every message. */
function validateHttpMatch(http: Obj, at: string, sep: string, methodsUpper: boolean): void {
  const paths = ['PathExact', 'PathPrefix', 'PathRegex'].filter((k) => str(http[k]) !== '');
  if (paths.length > 1) throw invalid(`${at} should only contain at most one of PathExact, PathPrefix, or PathRegex`);
  for (const k of ['PathExact', 'PathPrefix']) {
    const v = str(http[k]);
    if (v !== '' && !v.startsWith('/')) throw invalid(`${at}${sep}${k} doesn't start with '/': "${v}"`);
  }
  if (str(http.PathRegex) !== '') {
    try {
      new RegExp(str(http.PathRegex));
    } catch (err) {
      throw invalid(`${at}${sep}PathRegex is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  arr(http.Header).forEach((h, j) => {
    if (str(h.Name) === '') throw invalid(`${at}${sep}Header[${j}] missing required Name field`);
    const set = ['Exact', 'Prefix', 'Suffix', 'Regex'].filter((k) => str(h[k]) !== '').length + (h.Present === true ? 1 : 0);
    if (set > 1) throw invalid(`${at}${sep}Header[${j}] should only contain one of Present, Exact, Prefix, Suffix, or Regex`);
  });
  arr(http.QueryParam).forEach((q, j) => {
    if (str(q.Name) === '') throw invalid(`${at}${sep}QueryParam[${j}] missing required Name field`);
    const set = ['Exact', 'Regex'].filter((k) => str(q[k]) !== '').length + (q.Present === true ? 1 : 0);
    if (set > 1) throw invalid(`${at}${sep}QueryParam[${j}] should only contain one of Present, Exact, or Regex`);
  });
  const methods = Array.isArray(http.Methods) ? (http.Methods as unknown[]).map((m) => str(m)) : [];
  const seen = new Set<string>();
  for (const raw of methods) {
    const m = raw.toUpperCase();
    if (!HTTP_METHODS.includes(m)) throw invalid(`${at}${sep}Methods contains an invalid method "${raw}"`);
    if (seen.has(m)) throw invalid(`${at}${sep}Methods contains "${raw}" more than once`);
    seen.add(m);
  }
  if (methods.length > 0 && methodsUpper) http.Methods = methods.map((m) => m.toUpperCase());
}

export function validateRouter(e: Obj): void {
  arr(e.Routes).forEach((route, i) => {
    const at = `Route[${i}]`;
    const http = ((route.Match as Obj | undefined)?.HTTP as Obj | undefined) ?? {};
    validateHttpMatch(http, at, ' ', true);
    const dest = (route.Destination as Obj | undefined) ?? {};
    if (str(dest.PrefixRewrite) !== '' && str(http.PathExact) === '' && str(http.PathPrefix) === '') {
      throw invalid(`${at} cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix`);
    }
    for (const c of Array.isArray(dest.RetryOn) ? (dest.RetryOn as unknown[]) : []) {
      if (!RETRY_ON.includes(str(c))) throw invalid(`${at} contains an invalid retry condition: "${str(c)}"`);
    }
  });
}

export function validateSplitter(e: Obj): void {
  const splits = arr(e.Splits);
  if (splits.length === 0) throw invalid('no splits configured');
  let sum = 0;
  const seen = new Set<string>();
  for (const s of splits) {
    if (s.Weight !== undefined && typeof s.Weight !== 'number') throw invalid(`Request decoding failed: json: cannot unmarshal ${typeof s.Weight} into Go struct field ServiceSplit.Weight of type float32`);
    const w = typeof s.Weight === 'number' ? s.Weight : 0;
    // 0.01 % resolution.
    s.Weight = Math.round(w * 100) / 100;
    sum += Math.round(w * 100);
    const service = str(s.Service) || str(e.Name);
    const k = `service="${service}", subset="${str(s.ServiceSubset)}", namespace="${str(s.Namespace) || 'default'}", partition="${str(s.Partition) || 'default'}"`;
    if (seen.has(k)) throw invalid(`split destination occurs more than once: ${k}`);
    seen.add(k);
  }
  if (sum !== 10000) throw invalid(`the sum of all split weights must be 100, not ${(sum / 100).toFixed(6)}`);
}

/** Subset rules of a resolver (names, filters, DefaultSubset, Redirect/Failover exclusivity). */
export function validateResolverSubsets(e: Obj): void {
  const subsets = (e.Subsets as Record<string, Obj> | undefined) ?? {};
  for (const [name, s] of Object.entries(subsets)) {
    if (name === '') throw invalid('Subset defined with empty name');
    if (!SUBSET_NAME.test(name) || name.length > 63) throw invalid(`Subset "${name}" is invalid: must be a valid DNS label (lowercase letters, digits and '-', at most 63 characters)`);
    if (str(s.Filter) !== '') {
      try {
        compileFilter(str(s.Filter));
      } catch (err) {
        throw invalid(`Filter for subset "${name}" is not a valid expression: ${(err as Error).message}`);
      }
    }
  }
  const def = str(e.DefaultSubset);
  if (def !== '' && !(def in subsets)) throw invalid(`DefaultSubset "${def}" is not a valid subset`);
  if (e.Redirect && e.Failover && Object.keys(e.Failover as Obj).length > 0) throw invalid('Redirect and Failover cannot both be set');
  const r = e.Redirect as Obj | undefined;
  if (r) {
    const any = ['Service', 'ServiceSubset', 'Namespace', 'Partition', 'Datacenter', 'Peer', 'SamenessGroup'].some((k) => str(r[k]) !== '');
    if (!any) throw invalid('Redirect is empty');
    if (str(r.Peer) !== '' && str(r.Partition) !== '') throw invalid('Redirect.Partition cannot be set with Redirect.Peer');
    if (str(r.Service) === '') {
      for (const k of ['ServiceSubset', 'Namespace', 'Partition', 'Peer']) if (str(r[k]) !== '') throw invalid(`Redirect.${k} defined without Redirect.Service`);
    }
    if (str(r.ServiceSubset) !== '' && str(r.Service) === str(e.Name) && !(str(r.ServiceSubset) in subsets)) {
      throw invalid(`Redirect.ServiceSubset "${str(r.ServiceSubset)}" is not a valid subset of "${str(e.Name)}"`);
    }
  }
  for (const [key, f] of Object.entries((e.Failover as Record<string, Obj> | undefined) ?? {})) {
    if (key !== '*' && !(key in subsets)) throw invalid(`Bad Failover["${key}"]: not a valid subset subset`);
    const any = ['Service', 'ServiceSubset', 'Namespace'].some((k) => str(f[k]) !== '') || arr(f.Targets).length > 0 || arr(f.Datacenters).length > 0;
    if (!any) throw invalid(`Bad Failover["${key}"]: one of Service, ServiceSubset, Namespace, Targets, or Datacenters is required`);
    arr(f.Targets).forEach((t, i) => {
      if (str(t.Partition) !== '' && str(t.Peer) !== '') throw invalid(`Bad Failover["${key}"].Targets[${i}]: Partition cannot be set with Peer`);
      if (str(t.Partition) !== '' && str(t.Datacenter) !== '') throw invalid(`Bad Failover["${key}"].Targets[${i}]: Partition cannot be set with Datacenter`);
    });
  }
  if (typeof e.ConnectTimeout === 'number' && e.ConnectTimeout < 0) throw invalid(`Bad ConnectTimeout '${e.ConnectTimeout}ms', must be >= 0`);
}

/** L7 permissions of one intention source (§5). */
export function validatePermissions(src: Obj, at: string, destination: string): void {
  const perms = arr(src.Permissions);
  if (perms.length === 0) return;
  if (destination === '*') throw invalid(`${at}.Permissions cannot be specified on intentions with wildcarded destinations`);
  perms.forEach((p, j) => {
    const pat = `${at}.Permissions[${j}]`;
    if (p.Action !== 'allow' && p.Action !== 'deny') throw invalid(`${pat}.Action must be set to 'allow' or 'deny'`);
    const http = p.HTTP as Obj | undefined;
    if (!http) throw invalid(`${pat}.HTTP is required`);
    validateHttpMatch(http, `${pat}.HTTP`, '.', true);
    const empty = ['PathExact', 'PathPrefix', 'PathRegex'].every((k) => str(http[k]) === '') && arr(http.Header).length === 0 && !(Array.isArray(http.Methods) && http.Methods.length > 0);
    if (empty) throw invalid(`${pat}.HTTP should not be empty`);
  });
}

/**
 * Routers and splitters have no Peer field (only a resolver reaches a peer). A JSON `Peer` there is
 * an unused key: refused with its path, as Consul's decoder does.
 */
export function refusePeerKeys(kind: string, raw: Obj): void {
  const has = (o: unknown): boolean => typeof o === 'object' && o !== null && Object.keys(o).some((k) => k.toLowerCase() === 'peer');
  const bad = (path: string): never => {
    throw invalid(`Request decoding failed: 1 error occurred:\n\t* invalid config key "${path}"\n\n`);
  };
  const get = (o: Obj, k: string): unknown => Object.entries(o).find(([x]) => x.toLowerCase() === k.toLowerCase())?.[1];
  if (kind === 'service-router') {
    arr(get(raw, 'Routes')).forEach((r, i) => {
      if (has(get(r, 'Destination'))) bad(`Routes[${i}].Destination.Peer`);
    });
  }
  if (kind === 'service-splitter') {
    arr(get(raw, 'Splits')).forEach((s, i) => {
      if (has(s)) bad(`Splits[${i}].Peer`);
    });
  }
}
