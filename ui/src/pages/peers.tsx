// Peers: every peering with its live stream status, polled every 2 s; heartbeat age over time.
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { enc, get } from '../api';
import { ErrorMessage, Notice, Progress, Sparkline, StateBadge } from '../components';
import { ago } from '../format';
import { usePoll } from '../hooks';
import { ageSeconds, record, samples } from '../peer-history';
import { useCan, usePermissions } from '../permissions';
import { Link } from '../router';
import type { Peering } from '../types';
import { DeletePeerButton } from './peer-actions';

export const PEERS_POLL_MS = 2000;

export function usePeerings(): ReturnType<typeof usePoll<{ list: Peering[]; now: number }>> {
  const perms = usePermissions();
  return usePoll(
    async (signal) => {
      const r = await get<Peering[]>('/v1/peerings', signal);
      record(r.data, r.serverNow);
      return { list: r.data, now: r.serverNow };
    },
    PEERS_POLL_MS,
    [perms.loaded, perms.allowed],
  );
}

export function PeersPage(): JSX.Element {
  const can = useCan();
  const perms = usePermissions();
  useEffect(() => {
    document.title = 'Peers · Isthmus';
  }, []);
  const res = usePeerings();
  const list = res.data?.list ?? [];
  const now = res.data?.now ?? Date.now();
  return (
    <section aria-labelledby="page-title">
      <div class="title-row">
        <h1 id="page-title">Peers</h1>
        {can('peering:write') && <Link href="/peers/add" class="button">Add peer</Link>}
      </div>
      <p class="muted">Live: refreshed every {PEERS_POLL_MS / 1000} s.</p>
      {perms.loaded && !can('peering:write') && <Notice>Your token lacks peering:write: peerings are read-only.</Notice>}
      <ErrorMessage error={res.error} />
      {res.loading && !res.data && <Progress label="Loading peerings…" />}
      {res.data && (
        <table>
          <caption class="sr-only">Peerings</caption>
          <thead>
            <tr>
              <th scope="col">Peer</th>
              <th scope="col">State</th>
              <th scope="col">Remote datacenter</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Last receive</th>
              <th scope="col">Last send</th>
              <th scope="col">Imported</th>
              <th scope="col">Exported</th>
              <th scope="col">Heartbeat age</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.ID} data-peer={p.Name}>
                <td><Link href={`/peers/${enc(p.Name)}`}>{p.Name}</Link></td>
                <td><StateBadge state={p.State} /></td>
                <td>{p.Remote?.Datacenter || '—'}</td>
                <td>{ago(ageSeconds(p.StreamStatus.LastHeartbeat, now))}</td>
                <td>{ago(ageSeconds(p.StreamStatus.LastReceive, now))}</td>
                <td>{ago(ageSeconds(p.StreamStatus.LastSend, now))}</td>
                <td aria-label={`${(p.StreamStatus.ImportedServices ?? []).length} imported services`}>{(p.StreamStatus.ImportedServices ?? []).length}</td>
                <td aria-label={`${(p.StreamStatus.ExportedServices ?? []).length} exported services`}>{(p.StreamStatus.ExportedServices ?? []).length}</td>
                <td><Sparkline values={samples(p.ID).map((s) => s.heartbeatAge)} label={`Heartbeat age of ${p.Name}`} /></td>
                <td><DeletePeerButton peering={p} onDeleted={res.reload} /></td>
              </tr>
            ))}
            {list.length === 0 && (
              <tr>
                <td colSpan={10}>No peerings yet. {can('peering:write') && <Link href="/peers/add">Add one</Link>}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
