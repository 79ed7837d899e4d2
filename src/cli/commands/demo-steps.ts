// The demo's L7 and transparent-proxy steps (issue 16).
import http from 'node:http';
import type net from 'node:net';
import type { IsthmusClient } from '../../sdk/client.js';
import { originalDstUnavailable } from '../../proxy/tproxy/original-dst.js';
import { createNetns, netnsUnavailable } from '../../proxy/tproxy/netns.js';
import { freePort, get, waitFor, type Children } from './demo.js';

type Say = (s: string) => void;

/** 8. West splits HTTP for "backend" 50/50 between its own v1 and east's backend (via a resolver redirect to the peer). */
export async function l7SplitStep(say: Say, children: Children, west: IsthmusClient, westHttp: number): Promise<void> {
  say('8. L7 across the peering: west splits HTTP for "backend" 50/50 between its own v1 and east\'s backend.');
  say('   (Splitters cannot name a peer: a local name "backend-east" has a resolver that redirects to peer east.)');
  const v1 = http.createServer((_q, s) => s.end('hello from backend v1 in west'));
  await new Promise<void>((r) => v1.listen(0, '127.0.0.1', r));
  const addr = `http://127.0.0.1:${westHttp}`;
  try {
    await west.registerService({ Name: 'backend', Port: (v1.address() as net.AddressInfo).port, Connect: { SidecarService: { Port: await freePort() } } });
    await west.configWrite({ Kind: 'service-defaults', Name: 'backend', Protocol: 'http' });
    await west.configWrite({ Kind: 'service-defaults', Name: 'backend-east', Protocol: 'http' });
    await west.configWrite({ Kind: 'service-resolver', Name: 'backend-east', Redirect: { Service: 'backend', Peer: 'east' } });
    await west.configWrite({ Kind: 'service-splitter', Name: 'backend', Splits: [{ Weight: 50 }, { Weight: 50, Service: 'backend-east' }] });
    const upstream = await freePort();
    await west.registerService({ Name: 'shop', Port: 1, Connect: { SidecarService: { Port: await freePort(), Proxy: { Upstreams: [{ DestinationName: 'backend', LocalBindPort: upstream }] } } } });
    await children.start(['connect', 'proxy', '--sidecar-for', 'backend', '--refresh-interval-ms', '1000', '--http-addr', addr, '--log-level', 'warn'], /running/);
    await children.start(['connect', 'proxy', '--sidecar-for', 'shop', '--refresh-interval-ms', '1000', '--http-addr', addr, '--log-level', 'warn'], /running/);
    await waitFor(async () => ((await get(upstream)).body.includes('v1 in west') ? true : undefined), 'west v1 answering');
    await waitFor(async () => ((await get(upstream)).body.includes('in east') ? true : undefined), 'east answering');
    const counts = { west: 0, east: 0 };
    for (let i = 0; i < 40; i++) {
      const r = await get(upstream);
      if (r.body.includes('v1 in west')) counts.west++;
      else if (r.body.includes('in east')) counts.east++;
    }
    say(`   40 HTTP requests from west's "shop": ${counts.west} answered by west v1, ${counts.east} by east's backend (through both clusters' proxies and east's gateway).`);
  } finally {
    v1.close();
  }
}

const BACKEND = `require('node:http').createServer((q, s) => s.end('hello from backend, reached transparently')).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('backend ready'));`;
const APP = `
const dns = require('node:dns'); const net = require('node:net');
const [server, name] = process.argv.slice(1);
(async () => {
  const r = new dns.promises.Resolver(); r.setServers([server]);
  const ip = (await r.resolve4(name))[0];
  const s = net.connect({ host: ip, port: 80 }, () => s.write('GET / HTTP/1.1\\r\\nHost: backend\\r\\nConnection: close\\r\\n\\r\\n'));
  let b = ''; s.on('data', (d) => (b += d)); s.setTimeout(8000, () => s.destroy());
  s.on('close', () => console.log(JSON.stringify({ ip, body: b.split('\\r\\n\\r\\n')[1] || b })));
  s.on('error', (e) => console.log(JSON.stringify({ ip, error: e.message })));
})().catch((e) => console.log(JSON.stringify({ error: e.message })));
`;

/** 9. A transparent proxy in a network namespace (only where the kernel and tools allow it). */
export async function transparentStep(say: Say, children: Children): Promise<void> {
  const why = netnsUnavailable() ?? originalDstUnavailable();
  if (why) {
    say(`9. Transparent proxy: skipped on this machine (${why}).`);
    return;
  }
  say('9. Transparent proxy in a network namespace: an app with no upstreams calls backend.virtual.consul:80;');
  say('   iptables (from "isthmus connect redirect-traffic") hands the connection to its sidecar, which reads SO_ORIGINAL_DST.');
  const ns = createNetns('demo');
  children.onStop(() => ns.destroy());
  {
    const out = await children.start(['agent', '--dev', '--datacenter', 'tproxy', '--node', 'ns-server', '--bind', ns.nsIp, '--http-port', '0', '--grpc-tls-port', '0', '--dns-port', '0', '--log-level', 'warn'], /HTTP API/, ns.prefix());
    const httpAddr = /HTTP API: (http:\/\/[\d.]+:\d+)/.exec(out)?.[1] as string;
    const dns = /DNS: ([\d.]+:\d+)/.exec(out)?.[1] as string;
    const { IsthmusClient } = await import('../../sdk/client.js');
    const c = new IsthmusClient({ address: httpAddr });
    await children.start(['-e', BACKEND, '9000'], /backend ready/, ns.prefix(), true);
    await c.registerService({ Name: 'backend', Port: 9000, Connect: { SidecarService: { Address: ns.nsIp, Port: 21000 } } });
    await c.registerService({ Name: 'client', Port: 8080, Connect: { SidecarService: { Port: 20000, Proxy: { Mode: 'transparent' } } } });
    await children.start(['connect', 'proxy', '--sidecar-for', 'backend', '--http-addr', httpAddr, '--log-level', 'warn'], /running/, ns.prefix());
    await children.start(['connect', 'proxy', '--sidecar-for', 'client', '--http-addr', httpAddr, '--log-level', 'warn'], /Transparent outbound/, ns.prefix(5995));
    const port = new URL(httpAddr).port;
    await children.start(['connect', 'redirect-traffic', '-proxy-id', 'client-sidecar-proxy', '-proxy-uid', '5995', '-exclude-uid', '0', '-exclude-inbound-port', port, '-netns', ns.path, '-http-addr', httpAddr], /Successfully applied traffic redirection rules/);
    const rules = (await ns.exec(['iptables', '-t', 'nat', '-S'])).stdout.split('\n').filter((l) => l.startsWith('-A'));
    say(`   ${rules.length} nat rules installed in ${ns.name}, e.g. "${rules.find((l) => l.includes('REDIRECT --to-ports 15001')) ?? ''}".`);
    await waitFor(async () => ((await c.healthConnect('backend', { passing: true })).length > 0 ? true : undefined), 'the backend sidecar healthy');
    const r = await waitFor(async () => {
      const x = await ns.exec([process.execPath, '-e', APP, dns, 'backend.virtual.consul'], 65534);
      const j = JSON.parse(x.stdout.trim() || '{}') as { ip?: string; body?: string };
      return j.body?.includes('reached transparently') ? j : undefined;
    }, 'the transparent call');
    say(`   backend.virtual.consul → ${r.ip}; the app (uid 65534) got: "${r.body}"`);
  }
}
