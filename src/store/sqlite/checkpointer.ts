// Worker thread that checkpoints the SQLite store's write-ahead log on its own connection, so the
// checkpoint's page copying and fsyncs never run on the server's event loop (they were the slowest
// commits: the store's p99). Messages in: `checkpoint`; out: `{ ok, busy?, error? }` per request.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path } = workerData as { path: string };
const db = new Database(path);
// Syncs the WAL before copying it and the database file after, as SQLite's own checkpoints do.
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');

parentPort?.on('message', (msg: string) => {
  if (msg === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  try {
    // PASSIVE: copies what it can without waiting for the writer or readers.
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    parentPort?.postMessage({ ok: true, busy: row?.busy ?? 0 });
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: (err as Error).message });
  }
});
