import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SILENT_LOGGER } from '../../lib/log.js';
import type { KubeApi, Obj } from '../kube.js';
import { inform } from './informer.js';

type WatchArgs = { query: Record<string, string>; onEvent: Parameters<KubeApi['watch']>[2]; onEnd: Parameters<KubeApi['watch']>[3] };
const obj = (name: string, rv: string): Obj => ({ metadata: { name, namespace: 'default', resourceVersion: rv } });
const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A KubeApi whose list answers are scripted and whose watches the test drives. */
function fakeKube(lists: ({ items: Obj[]; resourceVersion: string } | Error)[]): { kube: KubeApi; watches: WatchArgs[]; lists: number } {
  const state = { watches: [] as WatchArgs[], lists: 0 };
  const kube = {
    listCore: async () => {
      const next = lists[Math.min(state.lists, lists.length - 1)] as { items: Obj[]; resourceVersion: string } | Error;
      state.lists++;
      if (next instanceof Error) throw next;
      return next;
    },
    watch: async (_path: string, query: Record<string, string>, onEvent: WatchArgs['onEvent'], onEnd: WatchArgs['onEnd']) => {
      state.watches.push({ query, onEvent, onEnd });
      return () => undefined;
    },
  } as unknown as KubeApi;
  return {
    kube,
    get watches() {
      return state.watches;
    },
    get lists() {
      return state.lists;
    },
  };
}

describe('endpoints informer', () => {
  it('lists, watches from the list’s resourceVersion, reports every key; vanished keys are reported on a relist', async () => {
    const f = fakeKube([{ items: [obj('a', '5'), obj('b', '6')], resourceVersion: '10' }, { items: [obj('a', '5')], resourceVersion: '20' }]);
    const keys: string[] = [];
    const stop = inform({ kube: f.kube, log: SILENT_LOGGER, list: () => f.kube.listCore('endpoints', undefined), path: '/api/v1/endpoints', onKey: (k) => keys.push(k) });
    await tick();
    assert.deepEqual(keys, ['default/a', 'default/b']);
    assert.equal(f.watches[0]?.query.resourceVersion, '10');
    assert.ok(Number(f.watches[0]?.query.timeoutSeconds) >= 300, 'the server ends the watch after a while');
    f.watches[0]?.onEvent({ type: 'ADDED', object: obj('c', '11') });
    f.watches[0]?.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } });
    assert.deepEqual(keys.slice(2), ['default/c']);
    // 410 Gone: relist; b and c are gone from the new list, so they are reported (to be deregistered).
    f.watches[0]?.onEvent({ type: 'ERROR', object: { code: 410 } });
    f.watches[0]?.onEnd();
    await tick(20);
    assert.equal(f.lists, 2);
    assert.deepEqual(keys.slice(3).sort(), ['default/a', 'default/b', 'default/c']);
    assert.equal(f.watches[1]?.query.resourceVersion, '20');
    stop();
  });

  it('a watch that ends normally resumes from the last resourceVersion seen (bookmarks included), without a relist', async () => {
    const f = fakeKube([{ items: [], resourceVersion: '10' }]);
    const stop = inform({ kube: f.kube, log: SILENT_LOGGER, list: () => f.kube.listCore('endpoints', undefined), path: '/x', onKey: () => undefined });
    await tick();
    f.watches[0]?.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '42' } } });
    f.watches[0]?.onEnd();
    await tick(20);
    assert.equal(f.lists, 1);
    assert.equal(f.watches[1]?.query.resourceVersion, '42');
    stop();
  });

  it('a failing list is retried with backoff; stop ends it', async () => {
    const f = fakeKube([new Error('connection refused'), { items: [obj('a', '1')], resourceVersion: '2' }]);
    const keys: string[] = [];
    const stop = inform({ kube: f.kube, log: SILENT_LOGGER, list: () => f.kube.listCore('endpoints', undefined), path: '/x', onKey: (k) => keys.push(k) });
    await tick(50);
    assert.equal(f.lists, 1, 'no busy retry loop');
    await tick(600);
    assert.equal(f.lists, 2);
    assert.deepEqual(keys, ['default/a']);
    stop();
  });
});
