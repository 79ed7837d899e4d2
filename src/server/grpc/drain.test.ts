// drainedOf never waits for a `drain` that cannot come (the issue 9 stall), and does wait for one that will.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { drainedOf } from './drain.js';

/** An object-mode stream like a gRPC call (high-water mark 16 messages) whose writes stall until released. */
function slowStream(): { stream: Writable; release(): void } {
  let held: (() => void) | undefined;
  let flowing = false;
  const stream = new Writable({ objectMode: true, highWaterMark: 16, write: (_c, _e, cb) => (flowing ? setImmediate(cb) : (held = () => cb())) });
  return {
    stream,
    release: () => {
      flowing = true;
      held?.();
    },
  };
}

const settledWithin = async (p: Promise<void>, ms: number): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('drainedOf', () => {
  it('resolves at once when the buffer has room, even after an earlier episode of back-pressure drained', async () => {
    const { stream, release } = slowStream();
    let full = false;
    for (let i = 0; i < 16; i++) full = stream.write({ i }) === false;
    assert.equal(full, true, 'the 16th write reports a full buffer');
    const first = drainedOf(stream);
    assert.equal(await settledWithin(first, 20), false, 'waits while full');
    release();
    assert.equal(await settledWithin(first, 1000), true, 'resolves on drain');
    // The stale case: a `false` was seen, the drain already happened, one more message is buffered.
    assert.equal(stream.write({ i: 16 }), true);
    assert.equal(await settledWithin(drainedOf(stream), 1000), true, 'no drain is pending, so none is awaited');
  });

  it('resolves when the stream is destroyed while full', async () => {
    const { stream } = slowStream();
    for (let i = 0; i < 16; i++) stream.write({ i });
    const wait = drainedOf(stream);
    stream.destroy();
    assert.equal(await settledWithin(wait, 1000), true);
    assert.equal(stream.listenerCount('drain'), 0, 'no listener left behind');
  });
});
