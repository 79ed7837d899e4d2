// Write back-pressure on a gRPC stream, for writers that wait instead of buffering without bound.
import type { Writable } from 'node:stream';

/**
 * Resolves once `stream` has room again: at once when nothing is waiting to drain (a `drain` event
 * is emitted only after a write returned `false`, so waiting for one otherwise would wait forever),
 * else on `drain`, or when the stream closes or fails (the writer then learns of the end elsewhere).
 */
export function drainedOf(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
