// List, then watch from the list's resourceVersion; relist on 410 Gone or any error (with bounded backoff).
// Every object seen, and every object that vanished between two lists, is reported by its key.
import type { Logger } from '../../lib/log.js';
import { KubeError, type KubeApi, type Obj } from '../kube.js';

export interface InformerOptions {
  kube: KubeApi;
  log: Logger;
  list: () => Promise<{ items: Obj[]; resourceVersion: string }>;
  /** The collection path to watch (kube.collectionPath(...)). */
  path: string;
  /** Called with `<namespace>/<name>` for every add, change, delete, and for every object on each relist. */
  onKey: (key: string) => void;
}

const keyOf = (o: Obj): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Starts the informer; the answer stops it. */
export function inform(o: InformerOptions): () => void {
  let stopped = false;
  let stopWatch: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let rv = '';
  let backoff = 500;
  let known = new Set<string>();
  const later = (f: () => void, ms: number): void => {
    if (stopped) return;
    timer = setTimeout(f, ms);
  };
  const relist = async (): Promise<void> => {
    if (stopped) return;
    try {
      const list = await o.list();
      const keys = new Set(list.items.map(keyOf));
      for (const k of known) if (!keys.has(k)) o.onKey(k);
      for (const k of keys) o.onKey(k);
      known = keys;
      rv = list.resourceVersion;
      backoff = 500;
      await watch();
    } catch (err) {
      if (stopped) return;
      o.log.warn('listing failed; retrying', { path: o.path, error: (err as Error).message, retryInMs: backoff });
      later(() => void relist(), backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  };
  const watch = async (): Promise<void> => {
    if (stopped) return;
    let gone = false;
    stopWatch = await o.kube.watch(
      o.path,
      // The API server ends the watch after a while (5-6 min): a connection that died silently is replaced.
      { resourceVersion: rv, timeoutSeconds: String(300 + Math.floor(Math.random() * 60)) },
      (e) => {
        if (e.type === 'BOOKMARK') {
          rv = String((e.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? rv);
          return;
        }
        if (e.type === 'ERROR') {
          gone = (e.object as { code?: number }).code === 410;
          return;
        }
        const obj = e.object as Obj;
        rv = obj.metadata.resourceVersion ?? rv;
        const key = keyOf(obj);
        if (e.type === 'DELETED') known.delete(key);
        else known.add(key);
        o.onKey(key);
      },
      (err) => {
        if (stopped) return;
        if (gone || (err instanceof KubeError && err.status === 410) || err) {
          if (err && !gone) o.log.debug('watch ended; relisting', { path: o.path, error: err.message });
          later(() => void relist(), gone ? 0 : backoff);
        } else later(() => void watch(), 0);
      },
    );
  };
  void relist();
  return () => {
    stopped = true;
    clearTimeout(timer);
    stopWatch?.();
  };
}
