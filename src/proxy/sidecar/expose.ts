// Plain TCP listeners that forward to the local app (`connect proxy -expose-listener PORT:APP_PORT`): how the
// kubelet's rewritten HTTP probes reach an app whose inbound traffic is otherwise redirected to the mTLS listener.
import net from 'node:net';
import { pipeBoth, type SocketSet } from '../pipe.js';

export interface ExposeListener {
  listen: number;
  appPort: number;
}

/** Parses `PORT:APP_PORT`; undefined when malformed. */
export function parseExpose(text: string): ExposeListener | undefined {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text.trim());
  const [listen, appPort] = [Number(m?.[1]), Number(m?.[2])];
  return m && listen > 0 && listen < 65536 && appPort > 0 && appPort < 65536 ? { listen, appPort } : undefined;
}

export async function startExposeListeners(list: ExposeListener[], bind: string, appHost: string, sockets: SocketSet): Promise<net.Server[]> {
  const servers: net.Server[] = [];
  for (const e of list) {
    const server = net.createServer((s) => {
      sockets.add(s);
      const app = net.connect({ host: appHost, port: e.appPort });
      sockets.add(app);
      pipeBoth(s, app);
    });
    await new Promise<void>((r, j) => server.once('error', j).listen(e.listen, bind, () => r()));
    servers.push(server);
  }
  return servers;
}
