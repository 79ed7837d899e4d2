// `isthmus services deregister [FILE] | --id ID`: removes services from the agent.
import { UsageError, type Command } from '../../command.js';
import { readServiceDefinitions } from './definition-file.js';

export const servicesDeregisterCommand: Command = {
  path: ['services', 'deregister'],
  summary: 'Deregister services from the agent',
  usage: 'isthmus services deregister [FILE] | --id ID',
  positionals: [0, 1],
  flags: { id: { type: 'string', doc: 'ID of the service to remove.' } },
  async run({ flags, positionals }, ctx) {
    let ids: string[];
    if (positionals[0] !== undefined) {
      if (flags.id !== undefined) throw new UsageError('give either a FILE or --id, not both');
      ids = (await readServiceDefinitions(positionals[0])).map((d) => String(d.ID ?? d.Name ?? ''));
    } else {
      if (typeof flags.id !== 'string' || flags.id === '') throw new UsageError('a FILE or --id is required');
      ids = [flags.id];
    }
    for (const id of ids) {
      if (!id) throw new UsageError('a service in the file has neither an ID nor a name');
      await ctx.client().deregisterService(id);
      ctx.out(`Deregistered service: ${id}`);
    }
  },
};
