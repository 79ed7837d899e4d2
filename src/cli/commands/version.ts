// `isthmus version`: Consul's version block (the Consul release Isthmus follows), so version-gated
// scripts work; it never contacts an agent. Isthmus's own release is in /v1/agent/self (IsthmusVersion).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONSUL_VERSION } from '../../version.js';
import type { Command } from '../command.js';

const RPC = { Default: 2, Min: 2, Max: 3 };

/** When this build was made: the compiled command file's modification time. */
function buildDate(): Date {
  try {
    const d = statSync(fileURLToPath(import.meta.url)).mtime;
    d.setMilliseconds(0);
    return d;
  } catch {
    return new Date(0);
  }
}

export const versionCommand: Command = {
  path: ['version'],
  local: true,
  summary: 'Print the Consul version Isthmus is compatible with',
  usage: 'isthmus version [-format pretty|json]',
  flags: {},
  async run(_args, ctx) {
    const date = buildDate().toISOString().replace('.000Z', 'Z');
    if (ctx.format === 'json') {
      ctx.out(JSON.stringify({ Version: CONSUL_VERSION, Revision: '', Prerelease: '', BuildDate: date, RPC }, null, 3));
      return;
    }
    // Consul leaves the Revision line out when the revision is empty.
    ctx.out(
      [
        `Consul v${CONSUL_VERSION}`,
        `Build Date ${date}`,
        `Protocol ${RPC.Default} spoken by default, understands ${RPC.Min} to ${RPC.Max} (agent will automatically use protocol >${RPC.Default} when speaking to compatible agents)`,
      ].join('\n'),
    );
  },
};
