// Baseline servers for benchmarks: a bare node:http server that sends fixed bytes, either at once
// (throughput baseline) or holding every request until triggered (blocking wake-up baseline).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [mode, bodyFile] = process.argv.slice(2);
const body = readFileSync(bodyFile as string);
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
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Consul-Index': '1' }).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  process.stdout.write(`LISTENING ${addr.port}\n`);
});
