// A tiny DNS client over UDP for tests (dns-packet encodes, node:dgram carries).
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export function dnsQuery(port: number, name: string, type: 'A' | 'SRV'): Promise<dnsPacket.Packet> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer for ${name}`));
    }, 3000);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(msg));
    });
    sock.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
  });
}
