// Services: local and imported services together, imported ones marked with their peer; filters in the URL.
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { enc, errorText, get } from '../api';
import { ErrorMessage, HealthCounts, Notice, Progress } from '../components';
import { usePoll } from '../hooks';
import { useCan, usePermissions } from '../permissions';
import { Link, navigate, useLocation } from '../router';
import type { Peering, ServiceSummary } from '../types';

type Health = 'passing' | 'warning' | 'critical';

export function healthOf(s: ServiceSummary): Health {
  if (s.ChecksCritical > 0) return 'critical';
  if (s.ChecksWarning > 0) return 'warning';
  return 'passing';
}

interface Listing {
  services: ServiceSummary[];
  peers: string[];
  /** Per-peer failures (e.g. 403 for imported data): shown, never swallowed. */
  peerErrors: string[];
  peeringError: string | undefined;
}

export function ServicesPage(): JSX.Element {
  const can = useCan();
  const perms = usePermissions();
  const loc = useLocation();
  const q = loc.query.get('q') ?? '';
  const source = loc.query.get('source') ?? '';
  const health = loc.query.get('health') ?? '';
  useEffect(() => {
    document.title = 'Services · Isthmus';
  }, []);

  const listing = usePoll<Listing>(
    async (signal) => {
      const local = await get<ServiceSummary[]>('/v1/internal/ui/services', signal);
      const out: Listing = { services: local.data.map((s) => ({ ...s, PeerName: undefined })), peers: [], peerErrors: [], peeringError: undefined };
      if (!can('peering:read')) return out;
      try {
        out.peers = (await get<Peering[]>('/v1/peerings', signal)).data.map((p) => p.Name);
      } catch (err) {
        out.peeringError = errorText(err);
        return out;
      }
      const imported = await Promise.all(
        out.peers.map(async (peer) => {
          try {
            return (await get<ServiceSummary[]>(`/v1/internal/ui/services?peer=${enc(peer)}`, signal)).data.map((s) => ({ ...s, PeerName: peer }));
          } catch (err) {
            out.peerErrors.push(`${peer}: ${errorText(err)}`);
            return [];
          }
        }),
      );
      out.services.push(...imported.flat());
      return out;
    },
    5000,
    [perms.loaded, perms.allowed],
  );

  const setFilter = (key: string, value: string): void => {
    const next = new URLSearchParams(loc.query);
    if (value) next.set(key, value);
    else next.delete(key);
    const s = next.toString();
    navigate(`/services${s ? `?${s}` : ''}`, true);
  };

  // Sidecar proxies are shown on their service (as Consul's UI does), not as services of their own.
  const all = (listing.data?.services ?? []).filter((s) => s.Kind !== 'connect-proxy');
  const shown = all
    .filter((s) => !q || s.Name.toLowerCase().includes(q.toLowerCase()))
    .filter((s) => !source || (source === 'local' ? !s.PeerName : s.PeerName === source))
    .filter((s) => !health || healthOf(s) === health)
    .sort((a, b) => a.Name.localeCompare(b.Name) || (a.PeerName ?? '').localeCompare(b.PeerName ?? ''));
  const totals = { passing: 0, warning: 0, critical: 0 };
  for (const s of all) totals[healthOf(s)]++;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Services</h1>
      <p class="summary" aria-label="Health summary">
        {all.length} services: {totals.passing} passing, {totals.warning} warning, {totals.critical} critical
        {listing.data && listing.data.peers.length > 0 && <> · imported from {listing.data.peers.length} peer(s)</>}
      </p>
      <form class="filters" role="search" aria-label="Filter services" onSubmit={(e) => e.preventDefault()}>
        <label>
          Filter by name
          <input type="search" value={q} onInput={(e) => setFilter('q', (e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Source
          <select value={source} onChange={(e) => setFilter('source', (e.target as HTMLSelectElement).value)}>
            <option value="">All sources</option>
            <option value="local">This cluster</option>
            {(listing.data?.peers ?? []).map((p) => (
              <option key={p} value={p}>Peer {p}</option>
            ))}
          </select>
        </label>
        <label>
          Health
          <select value={health} onChange={(e) => setFilter('health', (e.target as HTMLSelectElement).value)}>
            <option value="">Any health</option>
            <option value="passing">Passing</option>
            <option value="warning">Warning</option>
            <option value="critical">Critical</option>
          </select>
        </label>
      </form>
      <ErrorMessage error={listing.error} />
      {listing.data?.peeringError && <Notice>Imported services are not shown: {listing.data.peeringError}</Notice>}
      {!can('peering:read') && perms.loaded && <Notice>Imported services are not shown: your token lacks peering:read.</Notice>}
      {(listing.data?.peerErrors ?? []).map((e) => (
        <div class="error" role="alert" key={e}>Imported services from {e}</div>
      ))}
      {listing.loading && !listing.data && <Progress label="Loading services…" />}
      {listing.data && (
        <table>
          <caption class="sr-only">Services ({shown.length} shown)</caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Source</th>
              <th scope="col">Health</th>
              <th scope="col">Instances</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={`${s.PeerName ?? ''}/${s.Name}`}>
                <td>
                  <Link href={`/services/${enc(s.Name)}${s.PeerName ? `?peer=${enc(s.PeerName)}` : ''}`} aria-label={s.PeerName ? `${s.Name} (imported from ${s.PeerName})` : s.Name}>
                    {s.Name}
                  </Link>
                  {s.Kind && <span class="muted"> {s.Kind}</span>}
                  {s.ConnectedWithProxy && <span class="muted"> · in the mesh (sidecar)</span>}
                </td>
                <td>{s.PeerName ? <span class="badge peer">imported from {s.PeerName}</span> : 'this cluster'}</td>
                <td><HealthCounts passing={s.ChecksPassing} warning={s.ChecksWarning} critical={s.ChecksCritical} /></td>
                <td>{s.InstanceCount}</td>
                <td>{(s.Tags ?? []).map((t) => <span class="tag" key={t}>{t}</span>)}</td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={5}>{all.length === 0 ? 'No services registered yet.' : 'No service matches the filters.'}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
