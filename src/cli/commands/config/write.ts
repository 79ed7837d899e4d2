// `isthmus config write FILE`: writes a config entry from a JSON or HCL file (or `-` for stdin).
import { readFileSync } from 'node:fs';
import { parseJsonOrHcl } from '../../../lib/hcl.js';
import { UsageError, type Command } from '../../command.js';

export const configWriteCommand: Command = {
  path: ['config', 'write'],
  summary: 'Create or update a config entry from a JSON or HCL file',
  usage: 'isthmus config write [--cas --modify-index N] FILE',
  positionals: [1, 1],
  flags: {
    cas: { type: 'boolean', doc: 'Write only if the entry is unchanged since --modify-index (0: only if absent).' },
    'modify-index': { type: 'string', doc: 'ModifyIndex for --cas.' },
  },
  async run({ flags, positionals }, ctx) {
    const file = positionals[0] as string;
    let text: string;
    try {
      text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read "${file}": ${(err as Error).message}`);
    }
    let entry: Record<string, unknown>;
    try {
      entry = await parseJsonOrHcl(text, file);
    } catch (err) {
      throw new UsageError(`cannot parse "${file}" as JSON or HCL: ${(err as Error).message}`);
    }
    let cas: number | undefined;
    if (flags.cas) {
      const mi = flags['modify-index'];
      if (typeof mi !== 'string' || !/^\d+$/.test(mi)) throw new UsageError('--cas needs --modify-index N');
      cas = Number(mi);
    }
    const ok = await ctx.client().configWrite(entry, cas === undefined ? {} : { cas });
    const kind = String(entry.Kind ?? entry.kind ?? '');
    const name = String(entry.Name ?? entry.name ?? (kind === 'mesh' ? 'mesh' : kind === 'proxy-defaults' ? 'global' : ''));
    if (!ok) {
      ctx.err(`Config entry not updated: ${kind}/${name}`);
      return 1;
    }
    ctx.out(`Config entry written: ${kind}/${name}`);
  },
};
