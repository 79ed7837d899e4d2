// Intentions: every source → destination rule, highest precedence first, with peer sources marked.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { enc, get } from '../api';
import { ConfirmDialog, ErrorMessage, Notice, Progress } from '../components';
import { usePoll } from '../hooks';
import { deleteIntention, type IntentionKey } from '../intentions-store';
import { authorizeEach, useCan, usePermissions } from '../permissions';
import { Link } from '../router';
import type { Intention } from '../types';

export const sourceLabel = (i: { SourceName: string; SourcePeer?: string }): string => (i.SourcePeer ? `${i.SourceName} (peer ${i.SourcePeer})` : i.SourceName);

export function IntentionsPage(): JSX.Element {
  const can = useCan();
  const perms = usePermissions();
  useEffect(() => {
    document.title = 'Intentions · Isthmus';
  }, []);
  const res = usePoll(
    async (signal) => {
      const list = (await get<Intention[]>('/v1/connect/intentions', signal)).data;
      // Which destinations' intentions this token may change (Consul's UI asks per item).
      const writable = await authorizeEach('intention', 'write', list.map((i) => i.DestinationName)).catch(() => new Map<string, boolean>());
      return { list, writable };
    },
    5000,
    [perms.loaded, perms.allowed],
  );
  const [confirm, setConfirm] = useState<IntentionKey | undefined>(undefined);
  const [op, setOp] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const writable = can('intention:write');
  const canWrite = (dest: string): boolean => writable || res.data?.writable.get(dest) === true;
  const remove = async (k: IntentionKey): Promise<void> => {
    setConfirm(undefined);
    setOp({ busy: true });
    try {
      await deleteIntention(k);
      setOp({ busy: false });
      res.reload();
    } catch (err) {
      setOp({ busy: false, error: err });
    }
  };
  const list = [...(res.data?.list ?? [])].sort((a, b) => b.Precedence - a.Precedence || a.DestinationName.localeCompare(b.DestinationName) || a.SourceName.localeCompare(b.SourceName));
  return (
    <section aria-labelledby="page-title">
      <div class="title-row">
        <h1 id="page-title">Intentions</h1>
        {(writable || [...(res.data?.writable.values() ?? [])].some(Boolean)) && <Link href="/intentions/new" class="button">Create intention</Link>}
      </div>
      <p class="muted">Evaluated highest precedence first; sources from a peer are written as <code>service-intentions</code> config entries.</p>
      {perms.loaded && !writable && <Notice>Your token lacks intention:write: only intentions of services it may write can be changed.</Notice>}
      <ErrorMessage error={res.error} />
      <ErrorMessage error={op.error} title="Deleting the intention failed" />
      {op.busy && <Progress label="Deleting the intention…" />}
      {res.loading && !res.data && <Progress label="Loading intentions…" />}
      {res.data && (
        <table>
          <caption class="sr-only">Intentions</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Destination</th>
              <th scope="col">Action</th>
              <th scope="col">Precedence</th>
              <th scope="col">Description</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => {
              const key: IntentionKey = { destination: i.DestinationName, source: i.SourceName, peer: i.SourcePeer ?? '' };
              const label = `${sourceLabel(i)} to ${i.DestinationName}`;
              const l7 = (i.Permissions ?? []).length > 0;
              const q = `destination=${enc(i.DestinationName)}&source=${enc(i.SourceName)}${i.SourcePeer ? `&peer=${enc(i.SourcePeer)}` : ''}`;
              return (
                <tr key={`${i.SourcePeer ?? ''}/${i.SourceName}/${i.DestinationName}`}>
                  <td>{i.SourceName} {i.SourcePeer && <span class="badge peer">peer {i.SourcePeer}</span>}</td>
                  <td>{i.DestinationName}</td>
                  <td>{l7 ? `L7 (${(i.Permissions ?? []).length} permissions)` : <span class={`badge ${i.Action === 'allow' ? 'ok' : 'bad'}`}>{i.Action}</span>}</td>
                  <td>{i.Precedence}</td>
                  <td>{i.Description}</td>
                  <td class="inline-actions">
                    {canWrite(i.DestinationName) && !l7 ? (
                      <Link href={`/intentions/edit?${q}`} aria-label={`Edit intention ${label}`}>Edit</Link>
                    ) : (
                      <button type="button" disabled aria-label={`Edit intention ${label}`} title={l7 ? 'L7 permissions are edited through the API' : `Your token lacks intention:write on ${i.DestinationName}`}>Edit</button>
                    )}
                    <button type="button" class="danger" aria-label={`Delete intention ${label}`} disabled={!canWrite(i.DestinationName) || op.busy} title={canWrite(i.DestinationName) ? undefined : `Your token lacks intention:write on ${i.DestinationName}`} onClick={() => setConfirm(key)}>
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
            {list.length === 0 && <tr><td colSpan={6}>No intentions yet.</td></tr>}
          </tbody>
        </table>
      )}
      {confirm && (
        <ConfirmDialog
          title="Delete intention?"
          body={<p>Traffic from {confirm.peer ? `peer ${confirm.peer}'s ` : ''}{confirm.source} to {confirm.destination} falls back to the next matching intention or the default policy.</p>}
          confirmLabel="Delete intention"
          onConfirm={() => void remove(confirm)}
          onCancel={() => setConfirm(undefined)}
        />
      )}
    </section>
  );
}
