// Parsing intention names in query parameters: `name`, `ns/name`, `peer:<peer>/name` (Consul's rules).
import { invalid } from '../../lib/errors.js';

export interface ParsedName {
  name: string;
  peer: string;
}

/** Parses a query-parameter name; a `peer:` prefix is accepted only where `allowPeer` is set. */
export function parseIntentionName(input: string, allowPeer: boolean): ParsedName {
  const parts = input.split('/');
  if (parts.length > 3) throw invalid("input can contain at most two '/'");
  let peer = '';
  if ((parts[0] ?? '').startsWith('peer:')) {
    if (!allowPeer) throw invalid('cannot specify a peer here');
    peer = (parts.shift() as string).slice('peer:'.length);
    if (parts.length === 0) throw invalid('need to specify the service name as well');
  }
  const name = parts[parts.length - 1] ?? '';
  const ns = parts.length > 1 ? parts[parts.length - 2] : 'default';
  if (parts.length === 3 && parts[0] !== 'default') throw invalid('Partitions are a Consul Enterprise feature');
  if (ns !== 'default' && ns !== '*') throw invalid('Namespaces are a Consul Enterprise feature');
  return { name, peer };
}
