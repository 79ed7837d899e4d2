// Writes the chart's CRDs (charts/isthmus/templates/crd-*.yaml) from one description of every kind, so the
// shared parts (status, printer columns, mesh-gateway blocks) are written once. `--check` fails when a file
// differs from what would be written (the chart tests run it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'charts', 'isthmus', 'templates');

const str = (description) => ({ type: 'string', ...(description ? { description } : {}) });
const bool = (description) => ({ type: 'boolean', ...(description ? { description } : {}) });
const int = (description) => ({ type: 'integer', ...(description ? { description } : {}) });
const obj = (properties, extra = {}) => ({ type: 'object', properties, ...extra });
const arr = (items, description) => ({ type: 'array', items, ...(description ? { description } : {}) });
const free = (description) => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...(description ? { description } : {}) });

const STATUS = obj({
  conditions: arr(
    obj(
      {
        lastTransitionTime: { type: 'string', format: 'date-time', description: 'Last time the condition changed status.' },
        message: str('Human-readable detail of the last transition.'),
        reason: str('Machine-readable reason of the last transition.'),
        status: str('True, False or Unknown.'),
        type: str('Type of the condition (Synced).'),
      },
      { required: ['status', 'type'] },
    ),
    'Conditions of the resource.',
  ),
  lastSyncedTime: { type: 'string', format: 'date-time', description: 'Last time the resource was synced to the server.' },
});

const MESH_GATEWAY = obj({ mode: str('Mesh gateway mode: "local", "remote", "none" or "" (the default).') });
const TRANSPARENT_PROXY = obj({ outboundListenerPort: int(), dialedDirectly: bool() });
const TLS_DIRECTION = obj({ tlsMinVersion: str(), tlsMaxVersion: str(), cipherSuites: arr(str()) });
const SECRET_REF = obj({
  name: str('Name of the secret holding the peering token.'),
  key: str('Key within the secret.'),
  backend: str('Where the secret lives; only "kubernetes" is supported.'),
});
const PEERING_SPEC = obj({ peer: obj({ secret: SECRET_REF }, { description: 'Where the peering token is kept.' }) }, { required: ['peer'] });
const PEERING_STATUS = {
  ...STATUS,
  properties: {
    ...STATUS.properties,
    latestPeeringVersion: { type: 'integer', format: 'int64', description: 'Highest consul.hashicorp.com/peering-version annotation reconciled.' },
    secret: obj({ ...SECRET_REF.properties, resourceVersion: str('Resource version of the secret last used.') }),
  },
};
const UPSTREAM = obj({
  name: str(),
  namespace: str(),
  partition: str(),
  peer: str(),
  envoyListenerJSON: str(),
  envoyClusterJSON: str(),
  protocol: str(),
  connectTimeoutMs: int(),
  limits: free(),
  passiveHealthCheck: free(),
  meshGateway: MESH_GATEWAY,
  balanceOutboundConnections: str(),
});
const PERMISSION = obj({
  action: str('allow or deny.'),
  http: obj({
    pathExact: str(),
    pathPrefix: str(),
    pathRegex: str(),
    methods: arr(str()),
    header: arr(free()),
  }),
  jwt: free(),
});
const REDIRECT_FIELDS = { service: str(), serviceSubset: str(), namespace: str(), partition: str(), datacenter: str(), peer: str(), samenessGroup: str() };

export const KINDS = [
  {
    kind: 'PeeringAcceptor',
    plural: 'peeringacceptors',
    singular: 'peeringacceptor',
    shortNames: ['peering-acceptor'],
    peering: true,
    description: 'PeeringAcceptor generates a peering token for the peer named after the resource and keeps it in a Secret.',
    spec: PEERING_SPEC,
    status: PEERING_STATUS,
  },
  {
    kind: 'PeeringDialer',
    plural: 'peeringdialers',
    singular: 'peeringdialer',
    shortNames: ['peering-dialer'],
    peering: true,
    description: 'PeeringDialer establishes a peering with the token kept in a Secret.',
    spec: PEERING_SPEC,
    status: PEERING_STATUS,
  },
  {
    kind: 'ExportedServices',
    plural: 'exportedservices',
    singular: 'exportedservices',
    shortNames: ['exported-services'],
    description: 'ExportedServices is the exported-services config entry.',
    spec: obj({
      services: arr(
        obj({
          name: str('Name of the exported service.'),
          namespace: str(),
          consumers: arr(obj({ peer: str(), partition: str(), samenessGroup: str() })),
        }),
      ),
    }),
  },
  {
    kind: 'Mesh',
    plural: 'meshes',
    singular: 'mesh',
    shortNames: [],
    description: 'Mesh is the mesh config entry.',
    spec: obj({
      allowEnablingPermissiveMutualTLS: bool(),
      http: obj({ sanitizeXForwardedClientCert: bool() }),
      peering: obj({ peerThroughMeshGateways: bool('Peering control-plane traffic goes through mesh gateways.') }),
      tls: obj({ incoming: TLS_DIRECTION, outgoing: TLS_DIRECTION }),
      transparentProxy: obj({ meshDestinationsOnly: bool() }),
      validateClusters: bool(),
    }),
  },
  {
    kind: 'ProxyDefaults',
    plural: 'proxydefaults',
    singular: 'proxydefaults',
    shortNames: ['proxy-defaults'],
    description: 'ProxyDefaults is the proxy-defaults config entry.',
    spec: obj({
      config: free('Opaque proxy configuration.'),
      mode: str(),
      transparentProxy: TRANSPARENT_PROXY,
      mutualTLSMode: str(),
      meshGateway: MESH_GATEWAY,
      expose: free(),
      accessLogs: free(),
      envoyExtensions: arr(free()),
      failoverPolicy: free(),
      prioritizeByLocality: free(),
    }),
  },
  {
    kind: 'ServiceDefaults',
    plural: 'servicedefaults',
    singular: 'servicedefaults',
    shortNames: ['service-defaults'],
    description: 'ServiceDefaults is the service-defaults config entry.',
    spec: obj({
      protocol: str(),
      mode: str(),
      transparentProxy: TRANSPARENT_PROXY,
      mutualTLSMode: str(),
      meshGateway: MESH_GATEWAY,
      expose: free(),
      externalSNI: str(),
      upstreamConfig: obj({ overrides: arr(UPSTREAM), defaults: UPSTREAM }),
      destination: obj({ addresses: arr(str()), port: int() }),
      maxInboundConnections: int(),
      localConnectTimeoutMs: int(),
      localRequestTimeoutMs: int(),
      balanceInboundConnections: str(),
      envoyExtensions: arr(free()),
      rateLimits: free(),
    }),
  },
  {
    kind: 'ServiceIntentions',
    plural: 'serviceintentions',
    singular: 'serviceintentions',
    shortNames: ['service-intentions'],
    description: 'ServiceIntentions is the service-intentions config entry for spec.destination.name.',
    spec: obj({
      destination: obj({ name: str('Destination service name.'), namespace: str() }),
      sources: arr(
        obj({
          name: str(),
          namespace: str(),
          peer: str(),
          partition: str(),
          samenessGroup: str(),
          action: str('allow or deny.'),
          permissions: arr(PERMISSION),
          description: str(),
        }),
      ),
      jwt: free(),
    }),
  },
  {
    kind: 'ServiceResolver',
    plural: 'serviceresolvers',
    singular: 'serviceresolver',
    shortNames: ['service-resolver'],
    description: 'ServiceResolver is the service-resolver config entry.',
    spec: obj({
      defaultSubset: str(),
      subsets: { type: 'object', additionalProperties: obj({ filter: str(), onlyPassing: bool() }) },
      redirect: obj(REDIRECT_FIELDS),
      failover: {
        type: 'object',
        additionalProperties: obj({
          service: str(),
          serviceSubset: str(),
          namespace: str(),
          datacenters: arr(str()),
          targets: arr(obj({ service: str(), serviceSubset: str(), partition: str(), namespace: str(), datacenter: str(), peer: str() })),
          policy: obj({ mode: str(), regions: arr(str()) }),
          samenessGroup: str(),
        }),
      },
      connectTimeout: str('Duration, e.g. "5s".'),
      requestTimeout: str('Duration, e.g. "15s".'),
      loadBalancer: free(),
      prioritizeByLocality: free(),
    }),
  },
];

function crd(k) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${k.plural}.consul.hashicorp.com`,
      labels: 'LABELS',
    },
    spec: {
      group: 'consul.hashicorp.com',
      names: { kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.singular, ...(k.shortNames.length ? { shortNames: k.shortNames } : {}) },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Synced', type: 'string', description: 'The sync status of the resource with Consul', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
            { name: 'Last Synced', type: 'date', description: 'The last successful synced time of the resource with Consul', jsonPath: '.status.lastSyncedTime' },
            { name: 'Age', type: 'date', description: 'The age of the resource', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              description: k.description,
              type: 'object',
              properties: {
                apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
                kind: str('Kind is a string value representing the REST resource this object represents.'),
                metadata: { type: 'object' },
                spec: k.spec,
                status: k.status ?? STATUS,
              },
            },
          },
        },
      ],
    },
  };
}

export function renderCrd(k) {
  const guard = k.peering ? '{{- if (and .Values.connectInject.enabled .Values.global.peering.enabled) }}' : '{{- if .Values.connectInject.enabled }}';
  const body = yaml.dump(crd(k), { lineWidth: -1, noRefs: true, quotingType: '"' }).replace(
    /^ {2}labels: LABELS$/m,
    '  labels:\n    {{- include "isthmus.labels" (list . "crd") | nindent 4 }}',
  );
  return `# Generated by scripts/gen-crds.mjs; edit that file, not this one.\n${guard}\n---\n${body}{{- end }}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const k of KINDS) {
    const file = join(OUT, `crd-${k.plural}.yaml`);
    const text = renderCrd(k);
    if (check) {
      let have = '';
      try {
        have = readFileSync(file, 'utf8');
      } catch {
        /* missing counts as stale */
      }
      if (have !== text) stale.push(file);
    } else writeFileSync(file, text);
  }
  if (stale.length) {
    console.error(`stale CRDs (run node scripts/gen-crds.mjs): ${stale.join(', ')}`);
    process.exit(1);
  }
}
