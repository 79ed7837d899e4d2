// Deleting a peering: confirmation first, progress while the request runs, the API's error if it fails.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { enc, request } from '../api';
import { ConfirmDialog, ErrorMessage, Progress } from '../components';
import { useCan } from '../permissions';
import type { Peering } from '../types';

export function DeletePeerButton(props: { peering: Peering; onDeleted: () => void }): JSX.Element {
  const can = useCan();
  const p = props.peering;
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const gone = p.State === 'DELETING' || p.State === 'TERMINATED';
  const why = !can('peering:write') ? 'Your token lacks peering:write' : gone ? `The peering is ${p.State}` : '';
  const run = async (): Promise<void> => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    try {
      await request('DELETE', `/v1/peering/${enc(p.Name)}`);
      props.onDeleted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="inline-actions">
      <button type="button" class="danger" aria-label={`Delete peering ${p.Name}`} disabled={!!why || busy} title={why || undefined} onClick={() => setAsking(true)}>
        Delete
      </button>
      {busy && <Progress label={`Deleting ${p.Name}…`} />}
      <ErrorMessage error={error} title={`Deleting ${p.Name} failed`} />
      {asking && (
        <ConfirmDialog
          title={`Delete peering ${p.Name}?`}
          body={
            <p>
              Imported services from {p.Name} disappear from this cluster and exports to it stop. The peering shows DELETING until the
              agent has cleaned up; the other side sees it as TERMINATED.
            </p>
          }
          confirmLabel="Delete peering"
          onConfirm={() => void run()}
          onCancel={() => setAsking(false)}
        />
      )}
    </span>
  );
}
