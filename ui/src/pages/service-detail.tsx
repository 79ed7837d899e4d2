// Service detail: every instance with its node, address, tags, meta and checks.
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { enc, get } from '../api';
import { CheckStatus, ErrorMessage, Progress } from '../components';
import { usePoll } from '../hooks';
import { Link } from '../router';
import type { HealthEntry } from '../types';

export function ServiceDetailPage(props: { name: string; peer: string }): JSX.Element {
  const { name, peer } = props;
  useEffect(() => {
    document.title = `${name} · Services · Isthmus`;
  }, [name]);
  const res = usePoll(async (signal) => (await get<HealthEntry[]>(`/v1/health/service/${enc(name)}${peer ? `?peer=${enc(peer)}` : ''}`, signal)).data, 5000, [name, peer]);
  const entries = res.data ?? [];
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs"><Link href="/services">Services</Link> /</p>
      <h1 id="page-title">{name}</h1>
      <p>{peer ? <span class="badge peer">imported from peer {peer}</span> : 'Registered in this cluster.'}</p>
      <ErrorMessage error={res.error} />
      {res.loading && !res.data && <Progress label="Loading instances…" />}
      {res.data && entries.length === 0 && <p>No instances of {name}{peer ? ` imported from ${peer}` : ''}.</p>}
      {entries.map((e) => {
        const s = e.Service;
        const address = `${s.Address || e.Node.Address}:${s.Port}`;
        return (
          <article class="card" key={`${e.Node.Node}/${s.ID}`} aria-labelledby={`inst-${s.ID}`}>
            <h2 id={`inst-${s.ID}`}>{s.ID}</h2>
            <dl class="facts">
              <div><dt>Node</dt><dd>{e.Node.Node} ({e.Node.Address})</dd></div>
              <div><dt>Address</dt><dd><code>{address}</code></dd></div>
              {Object.entries(s.TaggedAddresses ?? {}).map(([k, v]) => (
                <div key={k}><dt>Tagged address {k}</dt><dd><code>{v.Address}:{v.Port}</code></dd></div>
              ))}
              <div><dt>Tags</dt><dd>{(s.Tags ?? []).length === 0 ? 'none' : (s.Tags ?? []).map((t) => <span class="tag" key={t}>{t}</span>)}</dd></div>
              {Object.keys(s.Meta ?? {}).length > 0 && (
                <div><dt>Meta</dt><dd>{Object.entries(s.Meta ?? {}).map(([k, v]) => <span class="tag" key={k}>{k}={v}</span>)}</dd></div>
              )}
            </dl>
            <table>
              <caption>Checks of {s.ID}</caption>
              <thead>
                <tr><th scope="col">Check</th><th scope="col">Status</th><th scope="col">Output</th></tr>
              </thead>
              <tbody>
                {e.Checks.map((c) => (
                  <tr key={c.CheckID}>
                    <td>{c.Name} <span class="muted">({c.CheckID})</span></td>
                    <td><CheckStatus status={c.Status} /></td>
                    <td><pre class="output">{c.Output}</pre></td>
                  </tr>
                ))}
                {e.Checks.length === 0 && <tr><td colSpan={3}>No checks.</td></tr>}
              </tbody>
            </table>
          </article>
        );
      })}
    </section>
  );
}
