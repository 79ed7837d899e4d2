// Baseline DNS server for benchmarks: answers every UDP query with fixed response bytes (the query's
// ID copied in), so the measured difference is what the agent spends deciding the answer.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

const [responseFile] = process.argv.slice(2);
const canned = readFileSync(responseFile as string);
const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const res = Buffer.from(canned);
  msg.copy(res, 0, 0, 2);
  sock.send(res, rinfo.port, rinfo.address);
});
sock.bind(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${sock.address().port}\n`));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
