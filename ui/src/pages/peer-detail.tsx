// Peer detail: state, stream status, remote info, server addresses, meta, imported and exported services.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { enc, errorText, get, request } from '../api';
import { DefinitionList, ErrorMessage, Progress, Sparkline, StateBadge } from '../components';
import { ago } from '../format';
import { usePoll } from '../hooks';
import { ageSeconds, record, samples } from '../peer-history';
import { useCan, usePermissions } from '../permissions';
import { Link, navigate } from '../router';
import type { Peering, ServiceSummary } from '../types';
import { DeletePeerButton } from './peer-actions';
import { PEERS_POLL_MS } from './peers';
import { TokenResult } from './token-result';

export function PeerDetailPage(props: { name: string }): JSX.Element {
  const { name } = props;
  const can = useCan();
  const perms = usePermissions();
  useEffect(() => {
    document.title = `${name} · Peers · Isthmus`;
  }, [name]);
  const res = usePoll(
    async (signal) => {
      const r = await get<Peering>(`/v1/peering/${enc(name)}`, signal);
      record([r.data], r.serverNow);
      let exported: string[] | string;
      try {
        exported = (await get<ServiceSummary[]>(`/v1/internal/ui/exported-services?peer=${enc(name)}`, signal)).data.map((s) => s.Name);
      } catch (err) {
        exported = errorText(err);
      }
      return { p: r.data, now: r.serverNow, exported };
    },
    PEERS_POLL_MS,
    [name, perms.loaded, perms.allowed],
  );
  const [regen, setRegen] = useState<{ busy: boolean; token?: string; error?: unknown }>({ busy: false });
  const regenerate = async (): Promise<void> => {
    setRegen({ busy: true });
    try {
      const r = await request<{ PeeringToken: string }>('POST', '/v1/peering/token', { PeerName: name });
      setRegen({ busy: false, token: r.data.PeeringToken });
    } catch (err) {
      setRegen({ busy: false, error: err });
    }
  };

  const p = res.data?.p;
  const now = res.data?.now ?? Date.now();
  const hist = p ? samples(p.ID) : [];
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs"><Link href="/peers">Peers</Link> /</p>
      <div class="title-row">
        <h1 id="page-title">{name}</h1>
        {p && <StateBadge state={p.State} />}
        {p && <DeletePeerButton peering={p} onDeleted={() => navigate('/peers')} />}
      </div>
      <ErrorMessage error={res.error} />
      {res.loading && !res.data && <Progress label="Loading the peering…" />}
      {p && (
        <>
          {p.State === 'DELETING' && <p class="notice" role="note">This peering is being deleted: imported data is being removed.</p>}
          {p.State === 'TERMINATED' && <p class="notice" role="note">The other cluster deleted this peering. Nothing is exchanged any more; delete it here to clean up.</p>}
          <h2>Stream</h2>
          <DefinitionList
            items={[
              ['State', p.State],
              ['Last heartbeat', ago(ageSeconds(p.StreamStatus.LastHeartbeat, now))],
              ['Last receive', ago(ageSeconds(p.StreamStatus.LastReceive, now))],
              ['Last send', ago(ageSeconds(p.StreamStatus.LastSend, now))],
              ['Heartbeat age over time', <Sparkline width={240} values={hist.map((s) => s.heartbeatAge)} label={`Heartbeat age of ${name}`} />],
              ['Replication lag over time (time since last receive)', <Sparkline width={240} values={hist.map((s) => s.receiveLag)} label={`Replication lag of ${name}`} />],
            ]}
          />
          <h2>Remote</h2>
          <DefinitionList
            items={[
              ['Role', p.PeerID ? 'dialer (this cluster established the peering)' : 'acceptor (this cluster generated the token)'],
              ['Remote datacenter', p.Remote?.Datacenter || 'unknown'],
              ['Remote partition', p.Remote?.Partition || 'default'],
              ['Peering ID', <code>{p.ID}</code>],
              ['Remote peering ID', p.PeerID ? <code>{p.PeerID}</code> : '—'],
              ['Server name', p.PeerServerName ? <code>{p.PeerServerName}</code> : '—'],
              ['Server addresses', (p.PeerServerAddresses ?? []).length ? <ul class="plain">{(p.PeerServerAddresses ?? []).map((a) => <li key={a}><code>{a}</code></li>)}</ul> : '—'],
              ['Meta', Object.keys(p.Meta ?? {}).length ? Object.entries(p.Meta ?? {}).map(([k, v]) => <span class="tag" key={k}>{k}={v}</span>) : 'none'],
              ...(p.DeletedAt ? ([['Deleted at', p.DeletedAt]] as [string, string][]) : []),
            ]}
          />
          <div class="columns">
            <div>
              <h2>Imported services</h2>
              <ul aria-label={`Services imported from ${name}`}>
                {(p.StreamStatus.ImportedServices ?? []).map((s) => (
                  <li key={s}><Link href={`/services/${enc(s)}?peer=${enc(name)}`}>{s}</Link></li>
                ))}
                {(p.StreamStatus.ImportedServices ?? []).length === 0 && <li>None</li>}
              </ul>
            </div>
            <div>
              <h2>Exported services</h2>
              {typeof res.data?.exported === 'string' ? (
                <div class="error" role="alert">Exported services: {res.data.exported}</div>
              ) : (
                <ul aria-label={`Services exported to ${name}`}>
                  {(res.data?.exported ?? []).map((s) => (
                    <li key={s}><Link href={`/services/${enc(s)}`}>{s}</Link></li>
                  ))}
                  {(res.data?.exported ?? []).length === 0 && <li>None</li>}
                </ul>
              )}
            </div>
          </div>
          {!p.PeerID && can('peering:write') && p.State !== 'DELETING' && p.State !== 'TERMINATED' && (
            <>
              <h2>Token</h2>
              <button type="button" onClick={() => void regenerate()} disabled={regen.busy}>Regenerate token</button>
              {regen.busy && <Progress label="Generating a token…" />}
              <ErrorMessage error={regen.error} />
              {regen.token && <TokenResult name={name} token={regen.token} />}
            </>
          )}
        </>
      )}
    </section>
  );
}
