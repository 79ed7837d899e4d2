// Pure HTTP request matching shared by service-router routes and L7 intention permissions.

export interface HttpRequestView {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Lower-cased header names; repeated headers joined with ",". */
  headers: Record<string, string | undefined>;
  query: URLSearchParams;
}

export interface HeaderMatch {
  Name?: string;
  Present?: boolean;
  Exact?: string;
  Prefix?: string;
  Suffix?: string;
  Regex?: string;
  Contains?: string;
  IgnoreCase?: boolean;
  Invert?: boolean;
}

export interface HttpMatch {
  PathExact?: string;
  PathPrefix?: string;
  PathRegex?: string;
  CaseInsensitive?: boolean;
  Header?: HeaderMatch[];
  QueryParam?: { Name?: string; Present?: boolean; Exact?: string; Regex?: string }[];
  Methods?: string[];
}

const regexCache = new Map<string, RegExp>();
function fullRegex(source: string, flags = ''): RegExp {
  const k = `${flags}/${source}`;
  let r = regexCache.get(k);
  if (!r) {
    // Envoy regexes (RE2) must match the whole value.
    r = new RegExp(`^(?:${source})$`, flags);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(k, r);
  }
  return r;
}

function headerMatches(h: HeaderMatch, req: HttpRequestView): boolean {
  const raw = req.headers[(h.Name ?? '').toLowerCase()];
  let ok: boolean;
  if (h.Present) ok = raw !== undefined;
  else if (raw === undefined) ok = false;
  else {
    const v = h.IgnoreCase ? raw.toLowerCase() : raw;
    const cmp = (x: string): string => (h.IgnoreCase ? x.toLowerCase() : x);
    if (h.Exact !== undefined && h.Exact !== '') ok = v === cmp(h.Exact);
    else if (h.Prefix) ok = v.startsWith(cmp(h.Prefix));
    else if (h.Suffix) ok = v.endsWith(cmp(h.Suffix));
    else if (h.Contains) ok = v.includes(cmp(h.Contains));
    else if (h.Regex) ok = fullRegex(h.Regex, h.IgnoreCase ? 'i' : '').test(raw);
    else ok = true;
  }
  return h.Invert ? !ok : ok;
}

/** Does a request satisfy every criterion of a match (AND)? An empty match matches everything. */
export function httpMatches(m: HttpMatch | undefined, req: HttpRequestView): boolean {
  if (!m) return true;
  const ci = m.CaseInsensitive === true;
  const path = ci ? req.path.toLowerCase() : req.path;
  if (m.PathExact && path !== (ci ? m.PathExact.toLowerCase() : m.PathExact)) return false;
  if (m.PathPrefix && !path.startsWith(ci ? m.PathPrefix.toLowerCase() : m.PathPrefix)) return false;
  if (m.PathRegex && !fullRegex(m.PathRegex, ci ? 'i' : '').test(req.path)) return false;
  for (const h of m.Header ?? []) if (!headerMatches(h, req)) return false;
  for (const q of m.QueryParam ?? []) {
    const v = req.query.get(q.Name ?? '');
    if (q.Present) {
      if (v === null) return false;
    } else if (q.Exact !== undefined && q.Exact !== '') {
      if (v !== q.Exact) return false;
    } else if (q.Regex) {
      if (v === null || !fullRegex(q.Regex).test(v)) return false;
    }
  }
  if (m.Methods && m.Methods.length > 0 && !m.Methods.includes(req.method.toUpperCase())) return false;
  return true;
}
