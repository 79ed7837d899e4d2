// Checks the dependency direction of docs/architecture.md over every import in src/ (CI runs it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const SRC = 'src';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
  }
})(SRC);

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const PURE = /\/(types|validate|render|keys|schema|state|definition|match|token|backoff|duration|json-decode|index-hub|serial-queue|errors|compile|alloc|validate-l7)\.ts$/;
/** Third-party packages and the only files allowed to import them. */
const CONFINED = {
  fastify: /^src\/server\/http\/server\.ts$/,
  'better-sqlite3': /^src\/store\/sqlite\//,
  pino: /^src\/lib\/log\.ts$/,
  '@cdktf/hcl2json': /^src\/lib\/hcl\.ts$/,
  '@peculiar/x509': /^src\/server\/ca\/certs\.ts$/,
  'reflect-metadata': /^src\/server\/ca\/certs\.ts$/,
  '@grpc/grpc-js': /^src\/server\/grpc\//,
  'dns-packet': /^src\/server\/dns\//,
  etcd3: /^src\/store\/etcd\//,
  '@bufbuild/protobuf': /^src\/(gen|server\/grpc|server\/peering)\//,
  // The browser UI lives in ui/ (its own tsconfig, bundled by scripts/build-ui.mjs): never imported by src/.
  preact: /^ui\//,
  esbuild: /^scripts\//,
  '@kubernetes/client-node': /^src\/k8s\/kube\.ts$/,
};
/** Connect injection: what to do to a pod is decided without I/O (the webhook and connect-init do the I/O). */
const K8S_INJECT_PURE = /^src\/k8s\/inject\/(annotations|plan|patch)\.ts$/;
/** Endpoints sync: the plan and the diff are decided without I/O (controller.ts and catalog.ts do the I/O). */
const K8S_ENDPOINTS_PURE = /^src\/k8s\/endpoints\/(types|ports|gateway|plan|diff|upstreams)\.ts$/;
const IO_MODULES = /^node:(net|http|https|fs|dgram|tls|child_process|http2)$/;

const problems = [];
const isTest = (f) => f.endsWith('.test.ts') || f === 'src/server/test-agent.ts' || f.endsWith('/conformance.ts');

for (const file of files) {
  const f = file.split('\\').join('/');
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    const bad = (why) => problems.push(`${f}: imports "${spec}": ${why}`);
    if (!spec.startsWith('.')) {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const allowed = CONFINED[pkg];
      if (allowed && !allowed.test(f) && !isTest(f)) bad(`"${pkg}" is confined to ${allowed}`);
      if (PURE.test(f) && IO_MODULES.test(spec)) bad('pure files do no I/O');
      if (K8S_INJECT_PURE.test(f) && !isTest(f) && (IO_MODULES.test(spec) || spec === '@kubernetes/client-node')) bad('connect-injection planning is pure (no I/O, no Kubernetes client)');
      if (K8S_ENDPOINTS_PURE.test(f) && !isTest(f) && (IO_MODULES.test(spec) || spec === '@kubernetes/client-node')) bad('endpoints planning is pure (no I/O, no Kubernetes client)');
      continue;
    }
    const target = normalize(join(dirname(f), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
    const rel = relative(SRC, target).split('\\').join('/');
    const from = relative(SRC, f).split('\\').join('/');
    const area = (p) => p.split('/')[0];
    if (area(from) === 'lib' && area(rel) !== 'lib') bad('lib/ is domain-free and imports only lib/');
    if (area(from) === 'store' && !['lib', 'store'].includes(area(rel))) bad('store/ imports only lib/ and store/');
    if (area(from) === 'sdk' && area(rel) !== 'sdk') bad('sdk/ stands alone: no server, store or cli imports');
    if (area(from) === 'proxy' && !['lib', 'sdk', 'proxy'].includes(area(rel))) bad('the data plane talks to servers only through sdk/');
    if (area(from) === 'server' && ['cli', 'sdk', 'main.ts'].includes(area(rel))) bad('server code never imports the CLI or SDK');
    if (area(from) === 'k8s' && !['lib', 'sdk', 'k8s'].includes(area(rel))) bad('the Kubernetes controller talks to servers only through sdk/');
    if (area(from) === 'cli' && ['server', 'store'].includes(area(rel)) && from !== 'cli/commands/agent.ts') {
      bad('CLI commands talk to servers only through sdk/ (only `agent` starts one)');
    }
    if (area(from) === 'server' && area(rel) === 'store' && !/(^|\/)(service|agent)\.ts$/.test(from) && !/^server\/replication\//.test(from) && !isTest(f)) {
      bad('only a domain service.ts (or the composition root) touches the store');
    }
    // One place serves static files: src/server/ui (reached only from the composition root and its tests).
    if (rel.startsWith('server/ui/') && !from.startsWith('server/ui/') && from !== 'server/agent.ts') bad('only the composition root reaches server/ui/');
    if (from.startsWith('server/ui/') && !isTest(f) && !['lib', 'server'].includes(area(rel))) bad('server/ui/ imports only lib/ and server/http types');
    if (from.startsWith('server/ui/') && !isTest(f) && area(rel) === 'server' && !rel.startsWith('server/http/request')) bad('server/ui/ imports only lib/ and server/http types');
    if (PURE.test(f) && !isTest(f) && (area(rel) === 'store' || /\/service\.ts$/.test(rel) || /\/http\//.test(rel))) {
      bad('pure files import no store, service or transport code');
    }
  }
}

// The browser UI (ui/src) is self-contained: Preact and its own files only (no server code, no Node modules).
const uiFiles = [];
(function walk(dir) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.tsx?$/.test(p)) uiFiles.push(p);
  }
})('ui/src');
for (const file of uiFiles) {
  const f = file.split('\\').join('/');
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) {
      const target = normalize(join(dirname(f), spec)).split('\\').join('/');
      if (!target.startsWith('ui/src/')) problems.push(`${f}: imports "${spec}": the UI imports only its own files`);
    } else if (!/^preact(\/hooks)?$/.test(spec)) {
      problems.push(`${f}: imports "${spec}": the UI bundles only preact`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Layering check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`Layering check passed: ${files.length} files, ${uiFiles.length} UI files.`);
