// The Helm chart, driven by the real helm binary: lint and template for each value combination, every `fail`
// message, every rendered object validated against the Kubernetes schemas (kubernetes-models), and every
// example CR validated against its CRD's openAPIV3 schema (ajv).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import { ROOT } from '../support/agent-process.js';
import { CHART, helm } from './tools.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };

const PEERING = ['global.peering.enabled=true', 'global.tls.enabled=true', 'meshGateway.enabled=true'];

const rendered = new Map<string, Obj[]>();
function template(sets: string[], release = 'r'): Obj[] {
  const key = `${release} ${sets.join(' ')}`;
  const hit = rendered.get(key);
  if (hit) return structuredClone(hit);
  const r = helm(['template', release, CHART, '--namespace', 'ns1', ...sets.flatMap((s) => ['--set', s])]);
  assert.equal(r.code, 0, r.stderr);
  const objs = (yaml.loadAll(r.stdout) as (Obj | null)[]).filter((o): o is Obj => o !== null);
  rendered.set(key, objs);
  return structuredClone(objs);
}

function failText(sets: string[]): string {
  const r = helm(['template', 'r', CHART, ...sets.flatMap((s) => ['--set', s])]);
  assert.notEqual(r.code, 0, `expected helm template to fail for ${sets.join(',')}`);
  return r.stderr;
}

const find = (objs: Obj[], kind: string, name: string): Obj | undefined => objs.find((o) => o.kind === kind && o.metadata.name === name);

/** Kubernetes schema of a kind, from kubernetes-models. */
async function validateK8s(o: Obj): Promise<void> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const dir = group === '' ? `v1` : `${group}/${version}`;
  const mod = (await import(`kubernetes-models/${dir}/${o.kind}`)) as Record<string, new (x: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  assert.ok(Model, `no kubernetes-models schema for ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

const COMBOS: [string, string[]][] = [
  ['defaults', []],
  ['peering', PEERING],
  ['peering + ACLs', [...PEERING, 'global.acls.manageSystemACLs=true']],
  ['ACLs without peering', ['global.acls.manageSystemACLs=true']],
  ['peering + expose-servers NodePort', [...PEERING, 'server.exposeService.enabled=true', 'server.exposeService.type=NodePort', 'server.exposeService.nodePort.grpc=30502']],
  ['mesh gateway NodePort', ['meshGateway.enabled=true', 'meshGateway.service.type=NodePort', 'meshGateway.service.nodePort=30443', 'meshGateway.replicas=3']],
  ['mesh gateway Static WAN', ['meshGateway.enabled=true', 'meshGateway.wanAddress.source=Static', 'meshGateway.wanAddress.static=gw.example.com', 'meshGateway.containerPort=443']],
  ['mesh gateway NodeIP', ['meshGateway.enabled=true', 'meshGateway.wanAddress.source=NodeIP', 'meshGateway.wanAddress.port=8443']],
  ['no controller', ['connectInject.enabled=false']],
  ['three servers, storage class', ['server.replicas=3', 'server.storage=20Gi', 'server.storageClass=fast', 'global.datacenter=east']],
];

describe('helm chart', () => {
  it('CRD files are what scripts/gen-crds.mjs generates', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-crds.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
  });

  for (const [name, sets] of COMBOS) {
    it(`renders and validates every object (and lints): ${name}`, async () => {
      // helm lint --strict on the combinations that switch whole templates on or off (each call costs seconds).
      if (['defaults', 'peering + ACLs', 'ACLs without peering', 'mesh gateway NodePort', 'no controller'].includes(name)) {
        const lint = helm(['lint', CHART, '--strict', ...sets.flatMap((s) => ['--set', s])]);
        assert.equal(lint.code, 0, lint.stdout + lint.stderr);
      }
      const objs = template(sets);
      assert.ok(objs.length > 0);
      for (const o of objs) await validateK8s(o);
    });
  }

  it('defaults: servers with a PVC, a headless Service, the controller, no peering CRDs or secrets RBAC', () => {
    const objs = template([]);
    const sts = find(objs, 'StatefulSet', 'r-isthmus-server') as unknown as { spec: { replicas: number; volumeClaimTemplates: { metadata: { name: string } }[]; template: { spec: { containers: { args: string[]; volumeMounts: { mountPath: string }[] }[] } } } };
    assert.equal(sts.spec.replicas, 1);
    assert.equal(sts.spec.volumeClaimTemplates[0]?.metadata.name, 'data-ns1');
    assert.ok(sts.spec.template.spec.containers[0]?.volumeMounts.some((m) => m.mountPath === '/isthmus/data'));
    const cfg = find(objs, 'ConfigMap', 'r-isthmus-server-config') as unknown as { data: Record<string, string> };
    const server = JSON.parse(cfg.data['server.json'] as string) as Record<string, unknown>;
    assert.equal(server.peering, undefined, 'the peering key is left out when peering is off');
    assert.deepEqual(server.ports, { http: 8500, grpc_tls: 8502, dns: 8600 });
    const svc = find(objs, 'Service', 'r-isthmus-server') as unknown as { spec: { clusterIP: string; ports: { name: string; port: number }[] } };
    assert.equal(svc.spec.clusterIP, 'None');
    assert.deepEqual(svc.spec.ports.filter((p) => ['http', 'grpc'].includes(p.name)).map((p) => p.port), [8500, 8502]);
    assert.equal(find(objs, 'Service', 'r-isthmus-expose-servers'), undefined, 'expose-servers follows adminPartitions, off by default');
    assert.equal(find(objs, 'Deployment', 'r-isthmus-mesh-gateway'), undefined);
    assert.equal(find(objs, 'CustomResourceDefinition', 'peeringacceptors.consul.hashicorp.com'), undefined);
    assert.ok(find(objs, 'CustomResourceDefinition', 'exportedservices.consul.hashicorp.com'));
    const role = find(objs, 'ClusterRole', 'r-isthmus-connect-injector') as unknown as { rules: { resources: string[] }[] };
    assert.ok(!role.rules.some((r) => r.resources.includes('secrets')));
    const core = (role as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }).rules.find((r) => r.apiGroups.includes('') && r.resources.includes('endpoints'));
    assert.deepEqual([core?.resources, core?.verbs], [['pods', 'endpoints', 'services', 'nodes'], ['get', 'list', 'watch']], 'the endpoints controller reads Endpoints, Pods, Services and Nodes');
    const hooks = find(objs, 'MutatingWebhookConfiguration', 'r-isthmus-connect-injector') as unknown as { webhooks: { name: string }[] };
    assert.deepEqual(hooks.webhooks.map((w) => w.name), ['r-isthmus-connect-injector.consul.hashicorp.com', ...['exportedservices', 'meshes', 'proxydefaults', 'servicedefaults', 'serviceintentions', 'serviceresolvers'].map((p) => `mutate-${p}.consul.hashicorp.com`)]);
    const ctl = find(objs, 'Deployment', 'r-isthmus-connect-injector') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    assert.ok(ctl.spec.template.spec.containers[0]?.args.includes('--enable-peering=false'));
  });

  it('peering: server config, peering CRDs, webhooks with the <fullname>- prefix, secrets RBAC, controller flag', () => {
    const objs = template(PEERING);
    const cfg = find(objs, 'ConfigMap', 'r-isthmus-server-config') as unknown as { data: Record<string, string> };
    const server = JSON.parse(cfg.data['server.json'] as string) as Record<string, unknown>;
    assert.deepEqual(server.peering, { enabled: true });
    for (const plural of ['peeringacceptors', 'peeringdialers']) {
      const crd = find(objs, 'CustomResourceDefinition', `${plural}.consul.hashicorp.com`) as unknown as { spec: { scope: string; versions: { name: string; subresources: unknown; additionalPrinterColumns: { name: string; jsonPath: string }[] }[] } };
      assert.equal(crd.spec.scope, 'Namespaced');
      assert.deepEqual(crd.spec.versions[0]?.subresources, { status: {} });
      assert.deepEqual(crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name), ['Synced', 'Last Synced', 'Age']);
      assert.equal(crd.spec.versions[0]?.additionalPrinterColumns[0]?.jsonPath, '.status.conditions[?(@.type=="Synced")].status');
    }
    const hooks = find(objs, 'MutatingWebhookConfiguration', 'r-isthmus-connect-injector') as unknown as { webhooks: { name: string; failurePolicy: string; sideEffects: string; admissionReviewVersions: string[]; clientConfig: { service: { name: string; path: string } }; rules: { operations: string[] }[] }[] };
    const acc = hooks.webhooks.find((w) => w.name === 'r-isthmus-mutate-peeringacceptors.consul.hashicorp.com');
    assert.ok(acc, 'acceptor webhook carries the <fullname>- prefix');
    assert.equal(acc.clientConfig.service.path, '/mutate-v1alpha1-peeringacceptors');
    assert.equal(acc.clientConfig.service.name, 'r-isthmus-connect-injector');
    assert.deepEqual([acc.failurePolicy, acc.sideEffects, acc.admissionReviewVersions, acc.rules[0]?.operations], ['Fail', 'None', ['v1beta1', 'v1'], ['CREATE', 'UPDATE']]);
    assert.ok(hooks.webhooks.some((w) => w.name === 'r-isthmus-mutate-peeringdialers.consul.hashicorp.com'));
    const role = find(objs, 'ClusterRole', 'r-isthmus-connect-injector') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const secrets = role.rules.find((r) => r.resources.includes('secrets'));
    assert.deepEqual(secrets?.verbs, ['get', 'list', 'watch', 'create', 'update', 'delete']);
    assert.ok(role.rules.some((r) => r.resources.includes('peeringacceptors/status') && r.verbs.includes('patch')));
    const ctl = find(objs, 'Deployment', 'r-isthmus-connect-injector') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    assert.ok(ctl.spec.template.spec.containers[0]?.args.includes('--enable-peering=true'));
    const gw = find(objs, 'Deployment', 'r-isthmus-mesh-gateway') as unknown as { spec: { replicas: number; template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } } };
    assert.equal(gw.spec.replicas, 1);
    assert.equal(gw.spec.template.metadata.labels['consul.hashicorp.com/connect-inject-managed-by'], 'consul-k8s-endpoints-controller');
    assert.equal(gw.spec.template.metadata.annotations['consul.hashicorp.com/gateway-kind'], 'mesh-gateway');
    assert.equal(gw.spec.template.metadata.annotations['consul.hashicorp.com/gateway-wan-port'], '443');
    const gsvc = find(objs, 'Service', 'r-isthmus-mesh-gateway') as unknown as { spec: { type: string; ports: { name: string; port: number; targetPort: number }[] } };
    assert.equal(gsvc.spec.type, 'LoadBalancer');
    assert.deepEqual(gsvc.spec.ports[0], { name: 'gateway', port: 443, targetPort: 8443 });
  });

  it('ACLs: servers run with ACLs on and default deny', () => {
    const objs = template([...PEERING, 'global.acls.manageSystemACLs=true']);
    const cfg = find(objs, 'ConfigMap', 'r-isthmus-server-config') as unknown as { data: Record<string, string> };
    assert.deepEqual((JSON.parse(cfg.data['server.json'] as string) as Record<string, unknown>).acl, { enabled: true, default_policy: 'deny' });
  });

  type Pod = { spec: { serviceAccountName?: string; containers: { args: string[]; env?: { name: string }[] }[] } };
  const podOf = (o: Obj | undefined): Pod => (o as unknown as { spec: { template: Pod } }).spec.template;
  const ACL_KINDS = ['Job', 'Role', 'RoleBinding'];

  it('ACLs: the server-acl-init Job with its flags, its Secret RBAC, the auth-method account and token Secret', () => {
    const objs = template([...PEERING, 'global.acls.manageSystemACLs=true']);
    const job = find(objs, 'Job', 'r-isthmus-server-acl-init');
    assert.ok(job, 'the bootstrap Job renders');
    const pod = podOf(job) as Pod & { spec: { restartPolicy: string } };
    assert.equal(pod.spec.serviceAccountName, 'r-isthmus-server-acl-init');
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.deepEqual(pod.spec.containers[0]?.args, [
      'k8s',
      'server-acl-init',
      '-log-level=info',
      '-resource-prefix=r-isthmus',
      '-k8s-namespace=ns1',
      '-server-address=r-isthmus-server.ns1.svc',
      '-server-port=8500',
      '-auth-method-host=https://kubernetes.default.svc',
      '-connect-inject=true',
      '-acl-binding-rule-selector=serviceaccount.name!=default',
      '-mesh-gateway=true',
      '-enable-peering=true',
      '-allow-dns=true',
    ]);
    assert.ok(find(objs, 'ServiceAccount', 'r-isthmus-server-acl-init'));
    const role = find(objs, 'Role', 'r-isthmus-server-acl-init') as unknown as { metadata: { namespace: string }; rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
    assert.equal(role.metadata.namespace, 'ns1');
    assert.ok(role.rules.every((r) => r.resources.length === 1 && r.resources[0] === 'secrets'), 'Secrets only');
    assert.ok(role.rules.some((r) => r.verbs.includes('create') && !r.resourceNames));
    const named = role.rules.find((r) => r.resourceNames);
    assert.deepEqual(named?.resourceNames, ['r-isthmus-bootstrap-acl-token', 'r-isthmus-auth-method']);
    assert.deepEqual(named?.verbs, ['get', 'update']);
    const rb = find(objs, 'RoleBinding', 'r-isthmus-server-acl-init') as unknown as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r-isthmus-server-acl-init' });
    assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'r-isthmus-server-acl-init', namespace: 'ns1' }]);
    // The auth methods' own account: a token Secret filled in by Kubernetes, TokenReview and service-account reads.
    const sec = find(objs, 'Secret', 'r-isthmus-auth-method') as unknown as { type: string; metadata: { annotations: Record<string, string> } };
    assert.equal(sec.type, 'kubernetes.io/service-account-token');
    assert.equal(sec.metadata.annotations['kubernetes.io/service-account.name'], 'r-isthmus-auth-method');
    assert.ok(find(objs, 'ServiceAccount', 'r-isthmus-auth-method'));
    const deleg = find(objs, 'ClusterRoleBinding', 'r-isthmus-authdelegator') as unknown as { roleRef: { name: string }; subjects: { name: string }[] };
    assert.equal(deleg.roleRef.name, 'system:auth-delegator');
    assert.equal(deleg.subjects[0]?.name, 'r-isthmus-auth-method');
    const saRole = find(objs, 'ClusterRole', 'r-isthmus-auth-method') as unknown as { rules: { resources: string[]; verbs: string[] }[] };
    assert.deepEqual(saRole.rules, [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] }]);
  });

  it('ACLs: the controller and the mesh gateway log in with the component auth method and their service accounts', () => {
    const objs = template([...PEERING, 'global.acls.manageSystemACLs=true']);
    const login = ['-login-auth-method=r-isthmus-k8s-component-auth-method', '-login-bearer-token-path=/var/run/secrets/kubernetes.io/serviceaccount/token'];
    const ctl = podOf(find(objs, 'Deployment', 'r-isthmus-connect-injector'));
    assert.equal(ctl.spec.serviceAccountName, 'r-isthmus-connect-injector');
    for (const a of [...login, '-login-meta=component=connect-injector', '-login-meta=pod=$(POD_NAMESPACE)/$(POD_NAME)']) assert.ok(ctl.spec.containers[0]?.args.includes(a), a);
    assert.ok(['POD_NAME', 'POD_NAMESPACE'].every((n) => ctl.spec.containers[0]?.env?.some((e) => e.name === n)), 'the $(…) references resolve');
    const gw = podOf(find(objs, 'Deployment', 'r-isthmus-mesh-gateway'));
    assert.equal(gw.spec.serviceAccountName, 'r-isthmus-mesh-gateway');
    assert.ok(find(objs, 'ServiceAccount', 'r-isthmus-mesh-gateway'));
    for (const a of [...login, '-login-meta=component=mesh-gateway', '-login-meta=pod=$(POD_NAMESPACE)/$(POD_NAME)']) assert.ok(gw.spec.containers[0]?.args.includes(a), a);
    assert.ok(['POD_NAME', 'POD_NAMESPACE'].every((n) => gw.spec.containers[0]?.env?.some((e) => e.name === n)));
  });

  it('ACLs without peering or a mesh gateway: no -enable-peering, no -mesh-gateway; a custom binding-rule selector', () => {
    const objs = template(['global.acls.manageSystemACLs=true', 'connectInject.aclBindingRuleSelector=serviceaccount.namespace==apps']);
    const args = podOf(find(objs, 'Job', 'r-isthmus-server-acl-init')).spec.containers[0]?.args ?? [];
    assert.ok(!args.some((a) => a.startsWith('-enable-peering') || a.startsWith('-mesh-gateway')), args.join(' '));
    assert.ok(args.includes('-connect-inject=true'));
    assert.ok(args.includes('-acl-binding-rule-selector=serviceaccount.namespace==apps'));
  });

  it('without manageSystemACLs nothing ACL renders: no Job, Role, auth-method objects, login flags or acl server config', () => {
    for (const sets of [[], PEERING]) {
      const objs = template(sets);
      assert.deepEqual(objs.filter((o) => ACL_KINDS.includes(o.kind) || o.metadata.name.endsWith('-auth-method') || o.metadata.name.endsWith('-authdelegator')).map((o) => `${o.kind}/${o.metadata.name}`), []);
      for (const o of objs.filter((x) => x.kind === 'Deployment')) assert.ok(!podOf(o).spec.containers.some((c) => c.args.some((a) => a.includes('login'))), o.metadata.name);
      const cfg = find(objs, 'ConfigMap', 'r-isthmus-server-config') as unknown as { data: Record<string, string> };
      assert.equal((JSON.parse(cfg.data['server.json'] as string) as Record<string, unknown>).acl, undefined);
    }
    // No servers in this release: no bootstrap Job either (its target would not exist).
    assert.equal(find(template(['global.acls.manageSystemACLs=true', 'server.enabled=false']), 'Job', 'r-isthmus-server-acl-init'), undefined);
  });

  it('expose-servers and mesh-gateway nodePorts, WAN address sources', () => {
    const exp = find(template(['server.exposeService.enabled=true', 'server.exposeService.type=NodePort', 'server.exposeService.nodePort.grpc=30502']), 'Service', 'r-isthmus-expose-servers') as unknown as { spec: { type: string; ports: { name: string; nodePort?: number }[]; selector: Record<string, string> } };
    assert.equal(exp.spec.type, 'NodePort');
    assert.equal(exp.spec.ports.find((p) => p.name === 'grpc')?.nodePort, 30502);
    assert.deepEqual(exp.spec.selector, { app: 'isthmus', release: 'r', component: 'server' });
    assert.ok(find(template(['global.adminPartitions.enabled=true', 'global.enableConsulNamespaces=true']), 'Service', 'r-isthmus-expose-servers'), '"-" follows adminPartitions');
    const np = template(['meshGateway.enabled=true', 'meshGateway.service.type=NodePort', 'meshGateway.service.nodePort=30443']);
    const gw = find(np, 'Deployment', 'r-isthmus-mesh-gateway') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    assert.equal(gw.spec.template.metadata.annotations['consul.hashicorp.com/gateway-wan-port'], '30443');
    const st = find(template(['meshGateway.enabled=true', 'meshGateway.wanAddress.source=Static', 'meshGateway.wanAddress.static=gw.example.com']), 'Deployment', 'r-isthmus-mesh-gateway') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const stPod = (st as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations;
    assert.equal(stPod['consul.hashicorp.com/gateway-wan-address-source'], 'Static');
    assert.equal(stPod['consul.hashicorp.com/gateway-wan-address-static'], 'gw.example.com');
    // The endpoints controller registers gateway pods; a self-registration would put a second instance in the catalog.
    assert.ok(!st.spec.template.spec.containers[0]?.args.some((a) => a === '--register' || a.startsWith('--wan-address')), st.spec.template.spec.containers[0]?.args.join(' '));
    const low = find(template(['meshGateway.enabled=true', 'meshGateway.containerPort=443']), 'Deployment', 'r-isthmus-mesh-gateway') as unknown as { spec: { template: { spec: { containers: { securityContext?: { capabilities: { add: string[] } } }[] } } } };
    assert.deepEqual(low.spec.template.spec.containers[0]?.securityContext?.capabilities.add, ['NET_BIND_SERVICE']);
  });

  it('names objects after global.name, or the release name when it already names the product', () => {
    assert.ok(find(template(['global.name=mesh']), 'StatefulSet', 'mesh-server'));
    assert.ok(find(template([], 'consul'), 'StatefulSet', 'consul-server'));
  });

  const FAILS: [string[], string][] = [
    [['global.peering.enabled=true', 'connectInject.enabled=false'], 'setting global.peering.enabled to true requires connectInject.enabled to be true'],
    [['global.peering.enabled=true', 'meshGateway.enabled=true'], 'setting global.peering.enabled to true requires global.tls.enabled to be true'],
    [['global.peering.enabled=true', 'global.tls.enabled=true'], 'setting global.peering.enabled to true requires meshGateway.enabled to be true'],
    [['global.adminPartitions.enabled=true'], 'global.enableConsulNamespaces must be true if global.adminPartitions.enabled=true'],
    [['meshGateway.enabled=true', 'connectInject.enabled=false'], 'connectInject.enabled must be true'],
    [['meshGateway.enabled=true', 'global.acls.manageSystemACLs=true', 'meshGateway.consulServiceName=gw'], 'if global.acls.manageSystemACLs is true, meshGateway.consulServiceName cannot be set'],
    [['meshGateway.enabled=true', 'meshGateway.globalMode=local'], 'meshGateway.globalMode is no longer supported; instead, you must migrate to CRDs (see www.consul.io/docs/k8s/crds/upgrade-to-crds)'],
    [['meshGateway.enabled=true', 'meshGateway.wanAddress.source=Static'], 'if meshGateway.wanAddress.source=Static then meshGateway.wanAddress.static cannot be empty'],
    [['meshGateway.enabled=true', 'meshGateway.service.type=NodePort'], 'if meshGateway.wanAddress.source=Service and meshGateway.service.type=NodePort, meshGateway.service.nodePort must be set'],
    [['global.adminPartitions.enabled=true', 'global.enableConsulNamespaces=true', 'global.adminPartitions.name=other'], 'global.adminPartitions.name has to be "default" in the server cluster'],
    [['connectInject.replicas=2'], 'connectInject.replicas must be 1: the isthmus controller has no leader election yet'],
  ];
  FAILS.forEach(([sets, message], i) => {
    it(`refuses ${sets.join(',')}: "${message}"`, () => {
      assert.match(failText(sets), new RegExp(`execution error at \\(isthmus/templates/[a-z-]+\\.yaml:\\d+:\\d+\\): ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
      if (i > 1) return;
      // helm lint reports a template `fail` as an [INFO] finding rather than an error.
      const lint = helm(['lint', CHART, ...sets.flatMap((s) => ['--set', s])]);
      assert.ok((lint.stdout + lint.stderr).includes(`Fail: ${message}`), lint.stdout + lint.stderr);
    });
  });
  it('connectInject.enabled "-" passes the peering check (raw truthiness, as in consul-k8s)', () => {
    assert.ok(template([...PEERING, 'connectInject.enabled=-']).length > 0);
  });

  describe('example CRs against their CRD openAPIV3 schema (ajv)', () => {
    const crds = template(PEERING).filter((o) => o.kind === 'CustomResourceDefinition') as unknown as { spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } }[];
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    /** Kubernetes prunes unknown fields; for examples an unknown field is a typo, so close every object schema. */
    const closed = (s: Record<string, unknown>): Record<string, unknown> => {
      const out: Record<string, unknown> = { ...s };
      if (s.properties && !s['x-kubernetes-preserve-unknown-fields']) {
        out.properties = Object.fromEntries(Object.entries(s.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [k, k === 'metadata' ? v : closed(v)]));
        out.additionalProperties = false;
      }
      if (s.items) out.items = closed(s.items as Record<string, unknown>);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') out.additionalProperties = closed(s.additionalProperties as Record<string, unknown>);
      return out;
    };
    const validators = new Map(crds.map((c) => [c.spec.names.kind, ajv.compile(closed(c.spec.versions[0]?.schema.openAPIV3Schema ?? {}))]));
    const dir = join(CHART, 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    it('has an example for every kind', () => {
      const kinds = files.map((f) => (yaml.load(readFileSync(join(dir, f), 'utf8')) as Obj).kind).sort();
      assert.deepEqual(kinds, [...validators.keys()].sort());
    });
    for (const f of files) {
      it(f, () => {
        const cr = yaml.load(readFileSync(join(dir, f), 'utf8')) as Obj;
        const v = validators.get(cr.kind);
        assert.ok(v, `no CRD for ${cr.kind}`);
        assert.ok(v(cr), JSON.stringify(v.errors));
      });
    }
    it('rejects wrongly typed and unknown fields', () => {
      const acc = validators.get('PeeringAcceptor');
      assert.ok(acc);
      assert.equal(acc({ apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'PeeringAcceptor', metadata: { name: 'x' }, spec: {} }), false, 'spec.peer is required');
      assert.equal(acc({ apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'PeeringAcceptor', metadata: { name: 'x' }, spec: { peer: { secret: { name: 7 } } } }), false);
      const mesh = validators.get('Mesh');
      assert.equal(mesh?.({ apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'Mesh', metadata: { name: 'mesh' }, spec: { peering: { peerThroughMeshGateway: true } } }), false, 'a misspelt key');
    });
  });
});
