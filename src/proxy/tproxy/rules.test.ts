import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildIptablesRules, configFromProxy, type RedirectConfig } from './rules.js';

const base: RedirectConfig = { ProxyUserID: '5995', ProxyInboundPort: 20000, ProxyOutboundPort: 15001, ExcludeInboundPorts: [], ExcludeOutboundPorts: [], ExcludeOutboundCIDRs: [], ExcludeUIDs: [] };
const text = (cfg: RedirectConfig): string[] => buildIptablesRules(cfg).map((r) => r.join(' '));

test('builds Consul\'s nat rules in issue order', () => {
  assert.deepEqual(text(base), [
    '-t nat -N CONSUL_PROXY_INBOUND',
    '-t nat -N CONSUL_PROXY_IN_REDIRECT',
    '-t nat -N CONSUL_PROXY_OUTPUT',
    '-t nat -N CONSUL_PROXY_REDIRECT',
    '-t nat -N CONSUL_DNS_REDIRECT',
    '-t nat -A CONSUL_PROXY_REDIRECT -p tcp -j REDIRECT --to-port 15001',
    '-t nat -A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT',
    '-t nat -A CONSUL_PROXY_OUTPUT -m owner --uid-owner 5995 -j RETURN',
    '-t nat -A CONSUL_PROXY_OUTPUT -d 127.0.0.1/32 -j RETURN',
    '-t nat -A CONSUL_PROXY_OUTPUT -j CONSUL_PROXY_REDIRECT',
    '-t nat -A CONSUL_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-port 20000',
    '-t nat -A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND',
    '-t nat -A CONSUL_PROXY_INBOUND -p tcp -j CONSUL_PROXY_IN_REDIRECT',
  ]);
});

test('exclusions are inserted at the top of their chains, in flag order', () => {
  const r = text({ ...base, ExcludeOutboundPorts: ['8500', '9000:9100'], ExcludeOutboundCIDRs: ['10.0.0.0/8'], ExcludeUIDs: ['0'], ExcludeInboundPorts: ['22'] });
  assert.ok(r.includes('-t nat -I CONSUL_PROXY_OUTPUT -p tcp --dport 8500 -j RETURN'));
  assert.ok(r.includes('-t nat -I CONSUL_PROXY_OUTPUT -p tcp --dport 9000:9100 -j RETURN'));
  assert.ok(r.includes('-t nat -I CONSUL_PROXY_OUTPUT -d 10.0.0.0/8 -j RETURN'));
  assert.ok(r.includes('-t nat -I CONSUL_PROXY_OUTPUT -m owner --uid-owner 0 -j RETURN'));
  assert.equal(r[r.length - 1], '-t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 22 -j RETURN');
  assert.ok(r.indexOf('-t nat -I CONSUL_PROXY_OUTPUT -p tcp --dport 8500 -j RETURN') < r.indexOf('-t nat -I CONSUL_PROXY_OUTPUT -d 10.0.0.0/8 -j RETURN'));
});

test('DNS redirection: an IP alone catches all port-53 traffic; with a port it is scoped to the IP', () => {
  const ipOnly = text({ ...base, ConsulDNSIP: '10.0.0.5' });
  assert.ok(ipOnly.includes('-t nat -A CONSUL_DNS_REDIRECT -p udp --dport 53 -j DNAT --to-destination 10.0.0.5'));
  assert.ok(ipOnly.includes('-t nat -A OUTPUT -p tcp --dport 53 -j CONSUL_DNS_REDIRECT'));
  const withPort = text({ ...base, ConsulDNSPort: 8600 });
  assert.ok(withPort.includes('-t nat -A CONSUL_DNS_REDIRECT -p udp -d 127.0.0.1 --dport 53 -j DNAT --to-destination 127.0.0.1:8600'));
  assert.ok(withPort.includes('-t nat -A OUTPUT -p udp -d 127.0.0.1 --dport 53 -j CONSUL_DNS_REDIRECT'));
});

test('refuses a missing proxy uid or inbound port with Consul texts', () => {
  assert.throws(() => buildIptablesRules({ ...base, ProxyUserID: '' }), /^Error: ProxyUserID is required to set up traffic redirection$/);
  assert.throws(() => buildIptablesRules({ ...base, ProxyInboundPort: 0 }), /ProxyInboundPort is required to set up traffic redirection/);
});

test('reads ports from a proxy registration and excludes stats, metrics and expose ports', () => {
  const c = configFromProxy({
    ID: 'web-sidecar-proxy',
    Kind: 'connect-proxy',
    Port: 21000,
    Proxy: { Config: { envoy_prometheus_bind_addr: '0.0.0.0:9102', envoy_stats_bind_addr: '0.0.0.0:9103' }, TransparentProxy: { OutboundListenerPort: 15002 }, Expose: { Paths: [{ ListenerPort: 21500 }] } },
  });
  assert.deepEqual(c, { ProxyInboundPort: 21000, ProxyOutboundPort: 15002, ExcludeInboundPorts: ['9102', '9103', '21500'] });
  assert.equal(configFromProxy({ ID: 'p', Kind: 'connect-proxy', Proxy: { Config: { bind_port: 20100 } } }).ProxyInboundPort, 20100);
  assert.throws(() => configFromProxy({ ID: 'web', Kind: '' }), /service web is not a proxy service/);
});
