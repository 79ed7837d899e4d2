// `isthmus services register [FILE]`: registers services on the agent from a file or flags.
import type { ServiceDefinition } from '../../../sdk/client.js';
import { UsageError, type Command } from '../../command.js';
import { readServiceDefinitions } from './definition-file.js';

export const servicesRegisterCommand: Command = {
  path: ['services', 'register'],
  summary: 'Register services with the agent',
  usage: 'isthmus services register [FILE] | --name NAME [--id ID] [--address ADDR] [--port N] [--tag T]... [--meta k=v]...',
  positionals: [0, 1],
  flags: {
    name: { type: 'string', doc: 'Service name (when no file is given).' },
    id: { type: 'string', doc: 'Service ID (defaults to the name).' },
    address: { type: 'string', doc: 'Service address.' },
    port: { type: 'string', doc: 'Service port.' },
    tag: { type: 'string', multiple: true, doc: 'A tag; repeatable.' },
    meta: { type: 'string', multiple: true, doc: 'A key=value meta pair; repeatable.' },
  },
  async run({ flags, positionals }, ctx) {
    let defs: ServiceDefinition[];
    if (positionals[0] !== undefined) {
      if (flags.name !== undefined) throw new UsageError('give either a FILE or --name, not both');
      defs = await readServiceDefinitions(positionals[0]);
    } else {
      if (typeof flags.name !== 'string' || flags.name === '') throw new UsageError('a FILE or --name is required');
      const def: ServiceDefinition = { Name: flags.name };
      if (typeof flags.id === 'string') def.ID = flags.id;
      if (typeof flags.address === 'string') def.Address = flags.address;
      if (typeof flags.port === 'string') {
        if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535) throw new UsageError(`invalid --port "${flags.port}": expected 0-65535`);
        def.Port = Number(flags.port);
      }
      if (Array.isArray(flags.tag)) def.Tags = flags.tag;
      if (Array.isArray(flags.meta)) {
        def.Meta = {};
        for (const kv of flags.meta) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new UsageError(`invalid --meta "${kv}": expected key=value`);
          def.Meta[kv.slice(0, i)] = kv.slice(i + 1);
        }
      }
      defs = [def];
    }
    for (const def of defs) {
      await ctx.client().registerService(def);
      ctx.out(`Registered service: ${String(def.Name ?? def.ID ?? '')}`);
    }
  },
};
