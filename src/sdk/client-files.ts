// The files the client reads when built: its token file and its TLS material (CA file or directory, client
// cert and key), failing with the texts Consul's CLI prints (Go's wording for file errors).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ClientConfigError, stripPort, type TlsOptions } from './config.js';

/** Go's wording for a failed file read (`open <path>: no such file or directory`). */
function goFileError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `open ${path}: no such file or directory`;
  if (code === 'EACCES') return `open ${path}: permission denied`;
  if (code === 'EISDIR') return `read ${path}: is a directory`;
  return (err as Error).message;
}

/** The node:https options for `tls`, every file read and checked once. */
export function readTls(tls: TlsOptions): { ca?: Buffer[]; cert?: Buffer; key?: Buffer; servername?: string; rejectUnauthorized?: boolean } {
  const out: { ca?: Buffer[]; cert?: Buffer; key?: Buffer; servername?: string; rejectUnauthorized?: boolean } = {};
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ClientConfigError(`Error loading CA File: ${goFileError(path, err)}`);
    }
  };
  const ca: Buffer[] = [];
  if (tls.caFile) ca.push(read(tls.caFile));
  if (tls.caPath) {
    let names: string[];
    try {
      names = readdirSync(tls.caPath).sort();
    } catch (err) {
      throw new ClientConfigError(`Error loading CA Path: ${goFileError(tls.caPath, err)}`);
    }
    for (const n of names) {
      const p = join(tls.caPath, n);
      if (statSync(p).isFile()) ca.push(read(p));
    }
  }
  for (const [i, pem] of ca.entries()) {
    if (!pem.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) throw new ClientConfigError(`Error loading CA File: Couldn't parse PEM in CA source ${i === 0 && tls.caFile ? tls.caFile : tls.caPath ?? ''}`);
  }
  if (ca.length > 0) out.ca = ca;
  if (tls.certFile || tls.keyFile) {
    if (!tls.certFile || !tls.keyFile) throw new ClientConfigError('both client cert and client key must be provided');
    try {
      out.cert = readFileSync(tls.certFile);
      out.key = readFileSync(tls.keyFile);
    } catch (err) {
      throw new ClientConfigError(goFileError((err as { path?: string }).path ?? tls.certFile, err));
    }
    if (!out.cert.toString().includes('-----BEGIN') || !out.key.toString().includes('-----BEGIN')) throw new ClientConfigError('tls: failed to find any PEM data in certificate or key input');
  }
  if (tls.serverName) out.servername = stripPort(tls.serverName);
  if (tls.insecureSkipVerify) out.rejectUnauthorized = false;
  return out;
}

/** The token in `path` (trimmed), or Consul's error for an unreadable file. */
export function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ClientConfigError(`Error loading token file ${path} : ${goFileError(path, err)}`);
  }
}
