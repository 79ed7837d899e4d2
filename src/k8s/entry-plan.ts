// What the config-entry controller does for one CR, as a pure function of the CR and the server's entry.
import { entryName, matchesServer, toEntry } from './entry-convert.js';
import { ENTRY_REASON, FINALIZER, MIGRATE_ENTRY_ANNOTATION, SOURCE_DATACENTER_META, type ConfigCR, type CrdKind } from './types.js';

export type EntryAction =
  | { do: 'addFinalizer' }
  | { do: 'removeFinalizer' }
  /** On failure: Synced=`failStatus` with ConsulAgentError and `failPrefix: <server error>`. */
  | { do: 'write'; entry: Record<string, unknown>; failPrefix: string; failStatus: 'False' | 'Unknown' }
  | { do: 'delete'; kind: string; name: string }
  | { do: 'synced'; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string };

export interface EntryPlan {
  actions: EntryAction[];
  why: string;
}

export function planEntry(kind: CrdKind, cr: ConfigCR, existing: Record<string, unknown> | undefined, datacenter: string): EntryPlan {
  const hasFinalizer = (cr.metadata.finalizers ?? []).includes(FINALIZER);
  const name = entryName(kind, cr);
  const sourceDc = ((existing?.Meta as Record<string, string> | undefined) ?? {})[SOURCE_DATACENTER_META] ?? '';
  if (cr.metadata.deletionTimestamp !== undefined) {
    if (!hasFinalizer) return { actions: [], why: 'being deleted, nothing of ours to clean up' };
    // Only an entry this datacenter's controller wrote is deleted; someone else's stays.
    const ours = existing !== undefined && sourceDc === datacenter;
    return { actions: [...(ours ? [{ do: 'delete' as const, kind: kind.entryKind as string, name }] : []), { do: 'removeFinalizer' }], why: ours ? 'resource deleted' : 'resource deleted; the entry is not ours' };
  }
  const pre: EntryAction[] = hasFinalizer ? [] : [{ do: 'addFinalizer' }];
  const want = toEntry(kind, cr, datacenter);
  const synced = (cr.status?.conditions ?? []).find((c) => c.type === 'Synced');
  if (!existing) return { actions: [...pre, { do: 'write', entry: want, failPrefix: 'writing config entry to consul', failStatus: 'False' }, { do: 'synced', status: 'True' }], why: 'entry missing on the server' };
  const migrate = cr.metadata.annotations?.[MIGRATE_ENTRY_ANNOTATION] === 'true';
  const matches = matchesServer(existing, want);
  if (!matches) {
    if (sourceDc !== datacenter && !migrate) {
      const message = sourceDc === '' ? 'config entry already exists in Consul' : `config entry managed in different datacenter: ${JSON.stringify(sourceDc)}`;
      return { actions: [...pre, { do: 'synced', status: 'False', reason: ENTRY_REASON.ExternallyManagedConfigError, message }], why: 'entry owned elsewhere' };
    }
    if (sourceDc !== datacenter && migrate) {
      const { Meta: _m, ...kube } = want;
      const { Meta: _c, CreateIndex: _ci, ModifyIndex: _mi, ...consul } = existing;
      return {
        actions: [...pre, { do: 'synced', status: 'False', reason: ENTRY_REASON.MigrationFailedError, message: `migration failed: Kubernetes resource does not match existing Consul config entry: consul=${JSON.stringify(consul)}, kube=${JSON.stringify(kube)}` }],
        why: 'migration refused',
      };
    }
    return { actions: [...pre, { do: 'write', entry: want, failPrefix: 'updating config entry in consul', failStatus: 'Unknown' }, { do: 'synced', status: 'True' }], why: 'entry differs from the resource' };
  }
  if (migrate && sourceDc !== datacenter) return { actions: [...pre, { do: 'write', entry: want, failPrefix: 'updating config entry in consul', failStatus: 'Unknown' }, { do: 'synced', status: 'True' }], why: 'taking ownership (migrate-entry)' };
  if (synced?.status !== 'True') return { actions: [...pre, { do: 'synced', status: 'True' }], why: 'entry already matches' };
  return { actions: pre, why: 'in sync' };
}
