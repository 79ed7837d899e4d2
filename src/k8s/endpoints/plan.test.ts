import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planEndpoints, type PlanInput } from './plan.js';
import type { EndpointsObj, PodObj, ServiceObj } from './types.js';

const pod = (name: string, extra: { annotations?: Record<string, string>; labels?: Record<string, string>; podIP?: string; hostIP?: string; nodeName?: string } = {}): PodObj => ({
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    labels: extra.labels ?? { 'consul.hashicorp.com/connect-inject-managed-by': 'consul-k8s-endpoints-controller' },
    annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected', 'consul.hashicorp.com/connect-service-port': 'http', ...(extra.annotations ?? {}) },
  },
  spec: { nodeName: extra.nodeName ?? 'kind-worker', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { podIP: extra.podIP ?? '10.244.0.7', hostIP: extra.hostIP ?? '172.18.0.2', phase: 'Running' },
});

const endpoints = (ready: string[], notReady: string[] = []): EndpointsObj => ({
  metadata: { name: 'web', namespace: 'default' },
  subsets: [
    {
      addresses: ready.map((p) => ({ ip: '10.244.0.7', nodeName: 'kind-worker', targetRef: { kind: 'Pod', name: p, namespace: 'default' } })),
      notReadyAddresses: notReady.map((p) => ({ ip: '10.244.0.8', nodeName: 'kind-worker', targetRef: { kind: 'Pod', name: p, namespace: 'default' } })),
      ports: [{ port: 8080 }],
    },
  ],
});

const service: ServiceObj = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.12', ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };

const input = (eps: EndpointsObj | undefined, pods: PodObj[], extra: Partial<PlanInput> = {}): PlanInput => ({
  namespace: 'default',
  name: 'web',
  endpoints: eps,
  pods: new Map(pods.map((p) => [p.metadata.name, p])),
  service,
  nodes: new Map(),
  ...extra,
});

const META = {
  'pod-name': 'web-7d4',
  'k8s-service-name': 'web',
  'k8s-namespace': 'default',
  'managed-by': 'consul-k8s-endpoints-controller',
  'pod-uid': 'uid-web-7d4',
  'synthetic-node': 'true',
};

describe('endpoints plan: injected pods', () => {
  it('a ready pod → service and sidecar registrations exactly as consul-k8s makes them', () => {
    const plan = planEndpoints(input(endpoints(['web-7d4']), [pod('web-7d4')]));
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.registrations, [
      {
        Node: 'kind-worker-virtual',
        Address: '172.18.0.2',
        NodeMeta: { 'synthetic-node': 'true' },
        SkipNodeUpdate: true,
        Service: { ID: 'web-7d4-web', Service: 'web', Port: 8080, Address: '10.244.0.7', Meta: META, Tags: [] },
        Check: { CheckID: 'default/web-7d4-web', Name: 'Kubernetes Readiness Check', Type: 'kubernetes-readiness', Status: 'passing', ServiceID: 'web-7d4-web', Output: 'Kubernetes health checks passing' },
      },
      {
        Node: 'kind-worker-virtual',
        Address: '172.18.0.2',
        NodeMeta: { 'synthetic-node': 'true' },
        SkipNodeUpdate: true,
        Service: {
          Kind: 'connect-proxy',
          ID: 'web-7d4-web-sidecar-proxy',
          Service: 'web-sidecar-proxy',
          Port: 20000,
          Address: '10.244.0.7',
          Meta: META,
          Tags: [],
          Proxy: { DestinationServiceName: 'web', DestinationServiceID: 'web-7d4-web', LocalServiceAddress: '127.0.0.1', LocalServicePort: 8080 },
        },
        Check: {
          CheckID: 'default/web-7d4-web-sidecar-proxy',
          Name: 'Kubernetes Readiness Check',
          Type: 'kubernetes-readiness',
          Status: 'passing',
          ServiceID: 'web-7d4-web-sidecar-proxy',
          Output: 'Kubernetes health checks passing',
        },
      },
    ]);
    assert.deepEqual(plan.virtualIps, [], 'no transparent proxy: no manual VIP');
  });

  it('a not-ready address → critical with Pod "<ns>/<pod>" is not ready', () => {
    const plan = planEndpoints(input(endpoints([], ['web-7d4']), [pod('web-7d4')]));
    assert.equal(plan.registrations.length, 2);
    for (const r of plan.registrations) {
      assert.equal(r.Check.Status, 'critical');
      assert.equal(r.Check.Output, 'Pod "default/web-7d4" is not ready');
    }
  });

  it('the connect-service annotation names the service; tags and service-meta-* annotations are carried', () => {
    const p = pod('web-7d4', { annotations: { 'consul.hashicorp.com/connect-service': 'frontend', 'consul.hashicorp.com/service-tags': 'a, b', 'consul.hashicorp.com/connect-service-tags': 'c', 'consul.hashicorp.com/service-meta-version': 'v2' } });
    const [svc, proxy] = planEndpoints(input(endpoints(['web-7d4']), [p])).registrations;
    assert.equal(svc?.Service.ID, 'web-7d4-frontend');
    assert.equal(svc?.Service.Service, 'frontend');
    assert.deepEqual(svc?.Service.Tags, ['a', 'b', 'c']);
    assert.equal(svc?.Service.Meta.version, 'v2');
    assert.equal(svc?.Service.Meta['k8s-service-name'], 'web', 'meta keeps the k8s service name for cleanup');
    assert.equal(proxy?.Service.ID, 'web-7d4-frontend-sidecar-proxy');
    assert.equal(proxy?.Service.Service, 'frontend-sidecar-proxy');
    assert.equal(proxy?.Check.CheckID, 'default/web-7d4-frontend-sidecar-proxy');
  });

  it('transparent proxy: Mode transparent, virtual={ClusterIP, service port} on both, and a manual VIP', () => {
    const p = pod('web-7d4', { annotations: { 'consul.hashicorp.com/transparent-proxy-status': 'enabled' } });
    const plan = planEndpoints(input(endpoints(['web-7d4']), [p]));
    const [svc, proxy] = plan.registrations;
    assert.deepEqual(svc?.Service.TaggedAddresses, { virtual: { Address: '10.96.0.12', Port: 80 } });
    assert.deepEqual(proxy?.Service.TaggedAddresses, { virtual: { Address: '10.96.0.12', Port: 80 } });
    assert.equal(proxy?.Service.Proxy?.Mode, 'transparent');
    assert.deepEqual(plan.virtualIps, [{ Service: 'web', ManualVIPs: ['10.96.0.12'] }]);
    const headless = planEndpoints(input(endpoints(['web-7d4']), [p], { service: { ...service, spec: { ...service.spec, clusterIP: 'None' } } }));
    assert.equal(headless.registrations[0]?.Service.TaggedAddresses, undefined, 'a headless Service has no virtual address');
    assert.deepEqual(headless.virtualIps, []);
  });

  it('upstreams (with the peer form) go to Proxy.Upstreams; a bad one is an error for that pod only', () => {
    const good = pod('web-7d4', { annotations: { 'consul.hashicorp.com/connect-service-upstreams': 'api.svc.cluster-02.peer:9091, db:5432' } });
    const plan = planEndpoints(input(endpoints(['web-7d4', 'web-bad']), [good, pod('web-bad', { annotations: { 'consul.hashicorp.com/connect-service-upstreams': 'api.svc:nope' } })]));
    assert.deepEqual(plan.registrations[1]?.Service.Proxy?.Upstreams, [
      { DestinationType: 'service', DestinationName: 'api', DestinationPeer: 'cluster-02', LocalBindPort: 9091 },
      { DestinationType: 'service', DestinationName: 'db', LocalBindPort: 5432 },
    ]);
    assert.equal(plan.registrations.length, 2, 'the good pod still registers');
    assert.deepEqual(plan.errors, ['pod default/web-bad: invalid upstream local bind port "nope" in "api.svc:nope"']);
    assert.deepEqual(plan.retained, ['web-bad-web', 'web-bad-web-sidecar-proxy'], 'the failing pod keeps what it has');
  });

  it('only managed pods: unlabelled, un-annotated pods are ignored; the injected annotation alone is enough', () => {
    const plain = pod('plain', { labels: {}, annotations: {} });
    plain.metadata.annotations = {};
    const annotated = pod('annotated', { labels: {} });
    const plan = planEndpoints(input(endpoints(['plain', 'annotated']), [plain, annotated]));
    assert.deepEqual(
      plan.registrations.map((r) => r.Service.ID),
      ['annotated-web', 'annotated-web-sidecar-proxy'],
    );
  });

  it('a pod without IPs yet → nothing registered and a 2 s requeue; a gone pod or a non-pod address → nothing', () => {
    const p = pod('web-7d4', { podIP: '', hostIP: '' });
    const plan = planEndpoints(input(endpoints(['web-7d4', 'ghost']), [p]));
    assert.deepEqual(plan.registrations, []);
    assert.equal(plan.requeueMs, 2000);
    const eps = endpoints([]);
    (eps.subsets?.[0]?.addresses as unknown[]).push({ ip: '10.0.0.1' });
    assert.deepEqual(planEndpoints(input(eps, [])).registrations, []);
  });

  it('a pod selected by several Services registers only under the one its kubernetes-service annotation names', () => {
    const p = pod('web-7d4', { annotations: { 'consul.hashicorp.com/kubernetes-service': 'web-public' } });
    assert.deepEqual(planEndpoints(input(endpoints(['web-7d4']), [p])).registrations, [], 'not under "web"');
    const other = planEndpoints({ ...input({ ...endpoints(['web-7d4']), metadata: { name: 'web-public', namespace: 'default' } }, [p]), name: 'web-public' });
    assert.deepEqual(
      other.registrations.map((r) => r.Service.ID),
      ['web-7d4-web-public', 'web-7d4-web-public-sidecar-proxy'],
    );
  });

  it('Endpoints gone → nothing desired', () => {
    const plan = planEndpoints(input(undefined, [pod('web-7d4')]));
    assert.deepEqual(plan, { registrations: [], retained: [], virtualIps: [], errors: [] });
  });

  it('Locality from the node topology labels', () => {
    const nodes = new Map([['kind-worker', { metadata: { name: 'kind-worker', labels: { 'topology.kubernetes.io/region': 'us-east-1', 'topology.kubernetes.io/zone': 'us-east-1a' } } }]]);
    const [svc, proxy] = planEndpoints(input(endpoints(['web-7d4']), [pod('web-7d4')], { nodes })).registrations;
    assert.deepEqual(svc?.Service.Locality, { Region: 'us-east-1', Zone: 'us-east-1a' });
    assert.deepEqual(proxy?.Service.Locality, { Region: 'us-east-1', Zone: 'us-east-1a' });
  });

  it('multi-port pods: only the service named after the Endpoints, at 20000 + its index', () => {
    const p = pod('web-7d4', { annotations: { 'consul.hashicorp.com/connect-service': 'web-admin,web', 'consul.hashicorp.com/connect-service-port': '9090,8080' } });
    const [svc, proxy] = planEndpoints(input(endpoints(['web-7d4']), [p])).registrations;
    assert.equal(svc?.Service.ID, 'web-7d4-web');
    assert.equal(svc?.Service.Port, 8080);
    assert.equal(proxy?.Service.Port, 20001);
  });
});

describe('endpoints plan: mesh-gateway pods', () => {
  const gw = (source: string, extra: Record<string, string> = {}): PodObj =>
    pod('mesh-gateway-5f9', {
      annotations: {
        'consul.hashicorp.com/gateway-kind': 'mesh-gateway',
        'consul.hashicorp.com/gateway-consul-service-name': 'mesh-gateway',
        'consul.hashicorp.com/mesh-gateway-container-port': '8443',
        'consul.hashicorp.com/gateway-wan-address-source': source,
        'consul.hashicorp.com/gateway-wan-port': '443',
        'consul.hashicorp.com/connect-inject': 'false',
        ...extra,
      },
    });
  const gwInput = (p: PodObj, svc: ServiceObj | undefined): PlanInput => ({ ...input({ ...endpoints([p.metadata.name]), metadata: { name: 'r-isthmus-mesh-gateway', namespace: 'default' } }, [p]), name: 'r-isthmus-mesh-gateway', service: svc });
  const lb = (ingress: { ip?: string; hostname?: string }[]): ServiceObj => ({ metadata: { name: 'r-isthmus-mesh-gateway', namespace: 'default' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.5.5', ports: [{ name: 'gateway', port: 443, targetPort: 8443 }] }, status: { loadBalancer: { ingress } } });

  it('one registration: Kind mesh-gateway, ID <pod>, lan/wan tagged addresses, check <ns>/<pod>', () => {
    const plan = planEndpoints(gwInput(gw('Service'), lb([{ ip: '203.0.113.9' }])));
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.registrations.length, 1);
    const r = plan.registrations[0];
    assert.deepEqual(r?.Service, {
      Kind: 'mesh-gateway',
      ID: 'mesh-gateway-5f9',
      Service: 'mesh-gateway',
      Port: 8443,
      Address: '10.244.0.7',
      Meta: { ...META, 'pod-name': 'mesh-gateway-5f9', 'pod-uid': 'uid-mesh-gateway-5f9', 'k8s-service-name': 'r-isthmus-mesh-gateway' },
      Tags: [],
      TaggedAddresses: { lan: { Address: '10.244.0.7', Port: 8443 }, wan: { Address: '203.0.113.9', Port: 443 } },
    });
    assert.equal(r?.Check.CheckID, 'default/mesh-gateway-5f9');
    assert.equal(r?.Check.ServiceID, 'mesh-gateway-5f9');
    assert.equal(r?.Node, 'kind-worker-virtual');
  });

  it('a LoadBalancer without ingress fails with the spec text (retried), keeping what is registered', () => {
    const plan = planEndpoints(gwInput(gw('Service'), lb([])));
    assert.deepEqual(plan.registrations, []);
    assert.deepEqual(plan.errors, ['failed to read ingress config for loadbalancer for service r-isthmus-mesh-gateway in namespace default']);
    assert.deepEqual(plan.retained, ['mesh-gateway-5f9']);
  });

  it('WAN address by source: LB hostname, NodePort → host IP, ClusterIP, NodeIP, NodeName, Static', () => {
    const wan = (p: PodObj, svc?: ServiceObj): unknown => planEndpoints(gwInput(p, svc)).registrations[0]?.Service.TaggedAddresses?.wan;
    assert.deepEqual(wan(gw('Service'), lb([{ hostname: 'gw.example.com' }])), { Address: 'gw.example.com', Port: 443 });
    assert.deepEqual(wan(gw('Service'), { ...lb([]), spec: { type: 'NodePort', clusterIP: '10.96.5.5' } }), { Address: '172.18.0.2', Port: 443 });
    assert.deepEqual(wan(gw('Service'), { ...lb([]), spec: { type: 'ClusterIP', clusterIP: '10.96.5.5' } }), { Address: '10.96.5.5', Port: 443 });
    assert.deepEqual(wan(gw('NodeIP'), undefined), { Address: '172.18.0.2', Port: 443 });
    assert.deepEqual(wan(gw('NodeName'), undefined), { Address: 'kind-worker', Port: 443 });
    assert.deepEqual(wan(gw('Static', { 'consul.hashicorp.com/gateway-wan-address-static': '198.51.100.4' }), undefined), { Address: '198.51.100.4', Port: 443 });
  });

  it('bad gateway annotations are errors that name the pod', () => {
    const errs = (p: PodObj): string[] => planEndpoints(gwInput(p, lb([{ ip: '1.2.3.4' }]))).errors;
    assert.match(errs(gw('Somewhere'))[0] ?? '', /invalid consul\.hashicorp\.com\/gateway-wan-address-source annotation "Somewhere" on pod default\/mesh-gateway-5f9/);
    assert.match(errs(gw('Service', { 'consul.hashicorp.com/gateway-wan-port': 'x' }))[0] ?? '', /gateway-wan-port/);
    assert.match(errs(gw('Static'))[0] ?? '', /gateway-wan-address-static is empty/);
    assert.deepEqual(planEndpoints(gwInput(gw('Service'), undefined)).errors, ['failed to read service r-isthmus-mesh-gateway in namespace default']);
  });
});
