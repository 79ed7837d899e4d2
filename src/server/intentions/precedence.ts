// Intention precedence (Consul CE: namespaces are always exact): 9 / 8 / 6 / 5.

/** Precedence of a (source, destination) pair of names; `*` is the only wildcard. */
export function intentionPrecedence(sourceName: string, destinationName: string): number {
  const dest = destinationName === '*' ? 6 : 9;
  return dest - (sourceName === '*' ? 1 : 0);
}
