// Beyond Consul's UI: a picture of this cluster and its peers with each link's health, and each peer's
// heartbeat age and replication lag over time (sampled by polling).
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { enc } from '../api';
import { ErrorMessage, Progress, Sparkline, StateBadge } from '../components';
import { ago } from '../format';
import { ageSeconds, samples } from '../peer-history';
import { BASE, Link, navigate } from '../router';
import type { Peering } from '../types';
import { usePeerings } from './peers';

/** Heartbeats arrive every 15 s by default; twice that without one is worth a warning. */
const STALE_AFTER_S = 35;

export type LinkHealth = 'healthy' | 'stale' | 'failing' | 'connecting' | 'gone';

export function linkHealth(p: Peering, now: number): LinkHealth {
  if (p.State === 'FAILING') return 'failing';
  if (p.State === 'PENDING' || p.State === 'ESTABLISHING') return 'connecting';
  if (p.State !== 'ACTIVE') return 'gone';
  const hb = ageSeconds(p.StreamStatus.LastHeartbeat, now);
  return hb !== null && hb > STALE_AFTER_S ? 'stale' : 'healthy';
}

const W = 640;
const H = 420;

function Picture(props: { datacenter: string; peers: Peering[]; now: number }): JSX.Element {
  const { peers, now } = props;
  const cx = W / 2;
  const cy = H / 2;
  const r = Math.min(W, H) / 2 - 70;
  const desc = peers.length === 0 ? 'No peers.' : peers.map((p) => `${p.Name}: ${p.State}, link ${linkHealth(p, now)}`).join('; ');
  return (
    <svg class="topology" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="topo-title topo-desc">
      <title id="topo-title">Cluster {props.datacenter || 'local'} and its {peers.length} peers</title>
      <desc id="topo-desc">{desc}</desc>
      {peers.map((p, i) => {
        const a = (2 * Math.PI * i) / Math.max(1, peers.length) - Math.PI / 2;
        const x = cx + r * Math.cos(a);
        const y = cy + r * Math.sin(a);
        const h = linkHealth(p, now);
        const imported = (p.StreamStatus.ImportedServices ?? []).length;
        const exported = (p.StreamStatus.ExportedServices ?? []).length;
        const href = `${BASE}/peers/${enc(p.Name)}`;
        return (
          <g key={p.ID} class={`link ${h}`}>
            <line x1={cx} y1={cy} x2={x} y2={y} class="edge" />
            <text x={(cx + x) / 2 + 10} y={(cy + y) / 2 + 4} class="edge-label" text-anchor="start">
              {h} · ↓{imported} ↑{exported}
            </text>
            <a
              href={href}
              aria-label={`Peer ${p.Name}: ${p.State}, link ${h}`}
              onClick={(e: MouseEvent) => {
                e.preventDefault();
                navigate(`/peers/${enc(p.Name)}`);
              }}
            >
              <circle cx={x} cy={y} r={34} class="node peer" />
              <text x={x} y={y - 2} text-anchor="middle" class="node-name">{p.Name}</text>
              <text x={x} y={y + 13} text-anchor="middle" class="node-sub">{p.Remote?.Datacenter || p.State}</text>
            </a>
          </g>
        );
      })}
      <circle cx={cx} cy={cy} r={44} class="node local" />
      <text x={cx} y={cy - 2} text-anchor="middle" class="node-name">{props.datacenter || 'this cluster'}</text>
      <text x={cx} y={cy + 14} text-anchor="middle" class="node-sub">this cluster</text>
    </svg>
  );
}

export function TopologyPage(props: { datacenter: string }): JSX.Element {
  useEffect(() => {
    document.title = 'Topology · Isthmus';
  }, []);
  const res = usePeerings();
  const peers = res.data?.list ?? [];
  const now = res.data?.now ?? Date.now();
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Topology</h1>
      <p class="muted">
        Each line is a peering; its colour is the link's health (green healthy, amber connecting or no heartbeat for {STALE_AFTER_S} s, red failing, grey
        deleted). ↓ imported and ↑ exported service counts.
      </p>
      <ErrorMessage error={res.error} />
      {res.loading && !res.data && <Progress label="Loading peerings…" />}
      {res.data && <Picture datacenter={props.datacenter} peers={peers} now={now} />}
      {res.data && peers.length > 0 && (
        <table>
          <caption>Links over time (sampled every 2 s while this page is open)</caption>
          <thead>
            <tr>
              <th scope="col">Peer</th>
              <th scope="col">State</th>
              <th scope="col">Link</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Heartbeat age</th>
              <th scope="col">Replication lag (since last receive)</th>
            </tr>
          </thead>
          <tbody>
            {peers.map((p) => {
              const hist = samples(p.ID);
              return (
                <tr key={p.ID}>
                  <td><Link href={`/peers/${enc(p.Name)}`}>{p.Name}</Link></td>
                  <td><StateBadge state={p.State} /></td>
                  <td>{linkHealth(p, now)}</td>
                  <td>{ago(ageSeconds(p.StreamStatus.LastHeartbeat, now))}</td>
                  <td><Sparkline values={hist.map((s) => s.heartbeatAge)} label={`Heartbeat age of ${p.Name}`} /></td>
                  <td><Sparkline values={hist.map((s) => s.receiveLag)} label={`Replication lag of ${p.Name}`} /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
