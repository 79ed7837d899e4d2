import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { KeyedQueue } from './queue.js';

describe('keyed work queue', () => {
  it('never runs one key twice at once; a change while running runs it once more', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new KeyedQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      await new Promise((r) => setTimeout(r, 30));
      running--;
    });
    q.add('a');
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 10; i++) q.add('a');
    await new Promise((r) => setTimeout(r, 200));
    await q.idle();
    assert.equal(maxRunning, 1);
    assert.equal(runs, 2, 'ten changes during one run coalesce into one more run');
    q.stop();
  });

  it('retries failures with growing delays and resets after a success', async () => {
    const times: number[] = [];
    const q = new KeyedQueue(
      async () => {
        times.push(Date.now());
        if (times.length < 3) throw new Error('boom');
      },
      { baseDelayMs: 40 },
    );
    q.add('k');
    const deadline = Date.now() + 3000;
    while (times.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(times.length, 3);
    assert.ok((times[1] as number) - (times[0] as number) >= 35);
    assert.ok((times[2] as number) - (times[1] as number) >= 75, 'the second retry waits twice as long');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(q.failures('k'), 0);
    q.stop();
  });
});
