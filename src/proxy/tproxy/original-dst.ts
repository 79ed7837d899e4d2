// SO_ORIGINAL_DST through the tiny native addon in native/original-dst (built by scripts/build-native.mjs).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Addon = { getOriginalDst(fd: number): { address: string; port: number } };
let addon: Addon | undefined;
let loadError: string | undefined;

function load(): Addon | undefined {
  if (addon || loadError) return addon;
  // dist/src/proxy/tproxy → repository root
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6 && !existsSync(join(dir, 'native')); i++) dir = dirname(dir);
  const file = join(dir, 'native', 'original-dst', 'build', 'Release', 'original_dst.node');
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (err) {
    loadError = `the SO_ORIGINAL_DST addon is not available (${(err as Error).message.split('\n')[0]}); run "node scripts/build-native.mjs"`;
  }
  return addon;
}

/** Why original destinations cannot be read here, or undefined when they can. */
export function originalDstUnavailable(): string | undefined {
  load();
  return addon ? undefined : loadError;
}

/** The destination a redirected connection was originally sent to. */
export function originalDst(sock: net.Socket): { address: string; port: number } {
  const a = load();
  if (!a) throw new Error(loadError);
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return a.getOriginalDst(fd);
}
