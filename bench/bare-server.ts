// Baseline servers for benchmarks: a bare node:http server that sends fixed bytes, either at once
// (throughput baseline) or holding every request until triggered (blocking wake-up baseline), or
// that upserts each request body into SQLite with its own fsync (durable-write baseline: no group commit).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Database from 'better-sqlite3';

const [mode, bodyFile] = process.argv.slice(2);
const body = mode === 'sqlite' ? Buffer.from('true') : readFileSync(bodyFile as string);
const db = mode === 'sqlite' ? new Database(bodyFile as string) : undefined;
db?.pragma('journal_mode = WAL');
db?.pragma('synchronous = FULL');
db?.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
const upsert = db?.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
let seq = 0;
const held: http.ServerResponse[] = [];

const server = http.createServer((req, res) => {
  if (mode === 'hold') {
    if (req.url === '/trigger') {
      for (const r of held.splice(0)) r.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      res.end('ok');
      return;
    }
    if (req.url === '/held') {
      res.end(String(held.length));
      return;
    }
    held.push(res);
    return;
  }
  if (upsert) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      upsert.run(`k${seq++}`, Buffer.concat(chunks).toString());
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Consul-Index': '1' }).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  process.stdout.write(`LISTENING ${addr.port}\n`);
});
