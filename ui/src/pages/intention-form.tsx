// Create or edit one intention (source in this cluster or in a peer → destination), allow or deny.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api';
import { ErrorMessage, Notice, Progress } from '../components';
import { findSource, saveIntention } from '../intentions-store';
import { useCan, usePermissions } from '../permissions';
import { Link, navigate } from '../router';
import type { Peering } from '../types';

export function IntentionForm(props: { query: URLSearchParams; editing: boolean }): JSX.Element {
  const { editing } = props;
  const can = useCan();
  const perms = usePermissions();
  const [destination, setDestination] = useState(props.query.get('destination') ?? '');
  const [source, setSource] = useState(props.query.get('source') ?? '');
  const [peer, setPeer] = useState(props.query.get('peer') ?? '');
  const [action, setAction] = useState<'allow' | 'deny'>('allow');
  const [description, setDescription] = useState('');
  const [peers, setPeers] = useState<string[]>([]);
  const [status, setStatus] = useState<{ busy: boolean; loading?: boolean; error?: unknown }>({ busy: false, loading: editing });

  useEffect(() => {
    document.title = `${editing ? 'Edit' : 'Create'} intention · Isthmus`;
    if (can('peering:read')) {
      void get<Peering[]>('/v1/peerings').then((r) => setPeers(r.data.map((p) => p.Name))).catch((err: unknown) => setStatus((s) => ({ ...s, error: err })));
    }
    if (editing) {
      void findSource({ destination, source, peer })
        .then((s) => {
          if (!s) throw new Error(`No intention from ${peer ? `peer ${peer} ` : ''}${source} to ${destination}.`);
          setAction(s.Action === 'deny' ? 'deny' : 'allow');
          setDescription(s.Description ?? '');
          setStatus({ busy: false });
        })
        .catch((err: unknown) => setStatus({ busy: false, error: err }));
    }
  }, [perms.loaded]);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setStatus({ busy: true });
    try {
      await saveIntention({ destination: destination.trim(), source: source.trim(), peer }, { Action: action, Description: description.trim() }, !editing);
      navigate('/intentions');
    } catch (err) {
      setStatus({ busy: false, error: err });
    }
  };
  const peerOptions = peer && !peers.includes(peer) ? [peer, ...peers] : peers;
  const allowed = can('intention:write');
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs"><Link href="/intentions">Intentions</Link> /</p>
      <h1 id="page-title">{editing ? 'Edit intention' : 'Create intention'}</h1>
      {perms.loaded && !allowed && <Notice>Your token lacks intention:write: saving will be refused.</Notice>}
      {status.loading && <Progress label="Loading the intention…" />}
      <form class="stack" aria-labelledby="page-title" onSubmit={(e) => void submit(e)}>
        <label>
          Source service
          <input required value={source} readOnly={editing} onInput={(e) => setSource((e.target as HTMLInputElement).value)} placeholder="frontend, or * for every service" autoComplete="off" />
        </label>
        <label>
          Source peer
          <select value={peer} disabled={editing} onChange={(e) => setPeer((e.target as HTMLSelectElement).value)}>
            <option value="">This cluster (no peer)</option>
            {peerOptions.map((p) => (
              <option key={p} value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Destination service
          <input required value={destination} readOnly={editing} onInput={(e) => setDestination((e.target as HTMLInputElement).value)} autoComplete="off" />
        </label>
        <fieldset>
          <legend>Action</legend>
          <label class="inline">
            <input type="radio" name="action" value="allow" checked={action === 'allow'} onChange={() => setAction('allow')} /> Allow
          </label>
          <label class="inline">
            <input type="radio" name="action" value="deny" checked={action === 'deny'} onChange={() => setAction('deny')} /> Deny
          </label>
        </fieldset>
        <label>
          Description
          <input value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} autoComplete="off" />
        </label>
        <div class="actions">
          <button type="submit" disabled={status.busy || status.loading === true}>Save intention</button>
          <Link href="/intentions">Cancel</Link>
        </div>
        {status.busy && <Progress label="Saving the intention…" />}
        <ErrorMessage error={status.error} title="Saving the intention failed" />
      </form>
    </section>
  );
}
