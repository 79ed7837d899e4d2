// The built-in Connect CA: cluster identity, roots kept in the store, leaf issuance and rotation.
import { randomUUID } from 'node:crypto';
import { IsthmusError, invalid } from '../../lib/errors.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { Logger } from '../../lib/log.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Entry, Store, WatchEvent } from '../../store/store.js';
import {
  colonHex,
  createRootCert,
  crossSign,
  exportPrivateKeyPem,
  fingerprint,
  generateKey,
  importPrivateKeyPem,
  parseCertPem,
  signLeaf,
  subjectKeyId,
  x509,
  type KeyMaterial,
  type Signer,
} from './certs.js';
import { DEFAULT_CA_CONFIG, resolveCaConfig, type CaProviderConfig } from './config.js';
import { serviceSpiffeId, trustDomainOf } from './spiffe.js';

const STATE_KEY = 'ca/state';
export const CA_ROOTS_TOPIC = 'ca|roots';

export interface RootRecord {
  ID: string;
  Name: string;
  SerialNumber: number;
  SigningKeyID: string;
  ExternalTrustDomain: string;
  NotBefore: string;
  NotAfter: string;
  RootCert: string;
  IntermediateCerts: string[] | null;
  Active: boolean;
  PrivateKeyType: string;
  PrivateKeyBits: number;
  /** Never rendered. */
  privateKeyPem: string;
  rotatedOutAt?: string;
  createIndex: number;
  modifyIndex: number;
}

interface CaState {
  clusterId: string;
  config: CaProviderConfig;
  forceWithoutCrossSigning: boolean;
  roots: RootRecord[];
  configCreateIndex: number;
  configModifyIndex: number;
}

export interface IssuedLeaf {
  SerialNumber: string;
  CertPEM: string;
  PrivateKeyPEM: string;
  Service: string;
  ServiceURI: string;
  ValidAfter: string;
  ValidBefore: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface LeafRequest {
  /** Certificate common name. */
  commonName: string;
  uris: string[];
  dnsNames?: string[];
}

export type RotationListener = () => void;

function hexToSafeNumber(hex: string): number {
  return Number(BigInt(`0x${hex}`) & ((1n << 52n) - 1n));
}

export class CaService {
  readonly #store: Store;
  readonly #hub: IndexHub;
  readonly #log: Logger;
  readonly #datacenter: string;
  readonly #writes = new SerialQueue();
  readonly #listeners = new Set<RotationListener>();
  readonly #leafCache = new Map<string, { leaf: IssuedLeaf; rootId: string; renewAt: number }>();
  #state: CaState | undefined;
  #signer: Signer | undefined;

  constructor(deps: { store: Store; hub: IndexHub; log: Logger }, options: { datacenter: string }) {
    this.#store = deps.store;
    this.#hub = deps.hub;
    this.#log = deps.log;
    this.#datacenter = options.datacenter;
  }

  /** Loads the CA from the store, creating the cluster ID and first root on first start. */
  async load(): Promise<void> {
    const e = await this.#store.get(STATE_KEY);
    if (e) {
      this.#state = stateFromEntry(e);
    } else {
      const clusterId = randomUUID();
      const root = await this.#newRoot(clusterId, DEFAULT_CA_CONFIG, await generateKey(DEFAULT_CA_CONFIG.PrivateKeyBits));
      const state: CaState = { clusterId, config: DEFAULT_CA_CONFIG, forceWithoutCrossSigning: false, roots: [root], configCreateIndex: 0, configModifyIndex: 0 };
      try {
        await this.#persist(state, [root], true);
        this.#log.info('initialized the built-in CA', { trustDomain: trustDomainOf(clusterId), rootId: root.ID });
      } catch (err) {
        // Another server of a shared store initialized it first: use theirs.
        const theirs = IsthmusError.is(err) && err.code === 'ABORTED' ? await this.#store.get(STATE_KEY) : undefined;
        if (!theirs) throw err;
        this.#state = stateFromEntry(theirs);
      }
    }
    await this.#loadSigner();
  }

  /** Applies the CA state committed by any server of a shared store (HA). */
  applyReplicated(events: WatchEvent[], revision: number): void {
    for (const e of events) {
      if (e.key !== STATE_KEY || e.type !== 'put') continue;
      const next = stateFromEntry(e.entry);
      const rotated = next.roots.find((r) => r.Active)?.ID !== this.#state?.roots.find((r) => r.Active)?.ID;
      this.#state = next;
      if (rotated) {
        this.#loadSigner().catch((err: unknown) => this.#log.error('loading the replicated CA signer failed', { error: (err as Error).message }));
      }
      this.#hub.bump([CA_ROOTS_TOPIC], revision);
    }
  }

  async #loadSigner(): Promise<void> {
    const active = this.activeRoot();
    this.#signer = { cert: parseCertPem(active.RootCert), key: await importPrivateKeyPem(active.privateKeyPem) };
  }

  /** Writes the whole CA state in one transaction; touched roots and the config get its revision. */
  async #persist(state: CaState, touched: RootRecord[], configChanged = false): Promise<number> {
    const prev = await this.#store.get(STATE_KEY);
    const r = await this.#store.txn({
      compare: [{ key: STATE_KEY, modRevision: prev?.modRevision ?? 0 }],
      success: [{ type: 'put', key: STATE_KEY, value: JSON.stringify(state) }],
    });
    if (!r.succeeded) throw new IsthmusError('ABORTED', 'CA state changed concurrently; retry');
    for (const t of touched) {
      if (!t.createIndex) t.createIndex = r.revision;
      t.modifyIndex = r.revision;
    }
    if (!state.configCreateIndex) state.configCreateIndex = r.revision;
    if (configChanged) state.configModifyIndex = r.revision;
    this.#state = state;
    this.#hub.bump([CA_ROOTS_TOPIC], r.revision);
    return r.revision;
  }

  async #newRoot(clusterId: string, config: CaProviderConfig, key: KeyMaterial, importedPem?: string): Promise<RootRecord> {
    const td = trustDomainOf(clusterId);
    const cert = importedPem ? parseCertPem(importedPem) : await createRootCert({ commonName: `pri-${clusterId.slice(0, 8)}.isthmus.ca.${clusterId.slice(0, 8)}.consul`, trustDomain: td, key, ttlMs: config.RootCertTTL });
    const pem = cert.toString('pem');
    return {
      ID: fingerprint(pem),
      Name: 'Isthmus CA Primary Cert',
      SerialNumber: hexToSafeNumber(cert.serialNumber),
      SigningKeyID: colonHex(Buffer.from(subjectKeyId(cert), 'hex')),
      ExternalTrustDomain: clusterId,
      NotBefore: cert.notBefore.toISOString(),
      NotAfter: cert.notAfter.toISOString(),
      RootCert: pem,
      IntermediateCerts: null,
      Active: true,
      PrivateKeyType: 'ec',
      PrivateKeyBits: key.bits,
      privateKeyPem: await exportPrivateKeyPem(key.keys.privateKey),
      createIndex: 0,
      modifyIndex: 0,
    };
  }

  #st(): CaState {
    if (!this.#state) throw new IsthmusError('UNAVAILABLE', 'the CA is not initialized yet');
    return this.#state;
  }

  get clusterId(): string {
    return this.#st().clusterId;
  }

  get trustDomain(): string {
    return trustDomainOf(this.clusterId);
  }

  get config(): CaProviderConfig {
    return this.#st().config;
  }

  get configIndexes(): { createIndex: number; modifyIndex: number } {
    return { createIndex: this.#st().configCreateIndex, modifyIndex: this.#st().configModifyIndex };
  }

  get forceWithoutCrossSigning(): boolean {
    return this.#st().forceWithoutCrossSigning;
  }

  roots(): RootRecord[] {
    return this.#st().roots;
  }

  activeRoot(): RootRecord {
    const a = this.#st().roots.find((r) => r.Active);
    if (!a) throw new IsthmusError('INTERNAL', 'the CA has no active root');
    return a;
  }

  /** PEMs of every root still trusted (active and rotated-out ones). */
  rootPems(): string[] {
    return this.roots().map((r) => r.RootCert);
  }

  onRotate(listener: RotationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Issues a leaf certificate with a fresh P-256 key, signed by the active root. */
  async issue(req: LeafRequest): Promise<{ certPem: string; keyPem: string; cert: x509.X509Certificate }> {
    const signer = this.#signer;
    if (!signer) throw new IsthmusError('UNAVAILABLE', 'the CA is not initialized yet');
    const key = await generateKey(256);
    const cert = await signLeaf(signer, { commonName: req.commonName, uris: req.uris, dnsNames: req.dnsNames ?? [], ttlMs: this.config.LeafCertTTL, publicKey: key.keys.publicKey });
    const chain = [cert.toString('pem'), ...(this.activeRoot().IntermediateCerts ?? [])].join('\n');
    return { certPem: chain + '\n', keyPem: await exportPrivateKeyPem(key.keys.privateKey), cert };
  }

  /** The leaf for a service, reused until half its life has passed or the active root changed. */
  async serviceLeaf(service: string): Promise<IssuedLeaf> {
    const now = Date.now();
    const active = this.activeRoot();
    const cached = this.#leafCache.get(service);
    if (cached && cached.rootId === active.ID && now < cached.renewAt) return cached.leaf;
    const uri = serviceSpiffeId(this.trustDomain, this.#datacenter, service);
    const { certPem, keyPem, cert } = await this.issue({ commonName: service, uris: [uri] });
    const index = this.#hub.index([CA_ROOTS_TOPIC]);
    const leaf: IssuedLeaf = {
      SerialNumber: colonHex(Buffer.from(cert.serialNumber, 'hex')),
      CertPEM: certPem,
      PrivateKeyPEM: keyPem,
      Service: service,
      ServiceURI: uri,
      ValidAfter: cert.notBefore.toISOString(),
      ValidBefore: cert.notAfter.toISOString(),
      CreateIndex: index,
      ModifyIndex: index,
    };
    const life = cert.notAfter.getTime() - cert.notBefore.getTime();
    this.#leafCache.set(service, { leaf, rootId: active.ID, renewAt: cert.notBefore.getTime() + life / 2 });
    return leaf;
  }

  /**
   * Applies a configuration. A new key type/size or an imported PrivateKey+RootCert rotates the
   * root: the old root cross-signs the new one (unless ForceWithoutCrossSigning) and stays in
   * Roots, inactive, so existing leaves keep verifying. Other changes only update the config.
   */
  setConfig(input: { Provider?: string; Config?: Record<string, unknown>; ForceWithoutCrossSigning?: boolean }): Promise<{ rotated: boolean }> {
    return this.#writes.run(async () => {
      const provider = input.Provider ?? 'consul';
      if (provider !== 'consul') throw invalid(`unknown CA provider "${provider}": only the built-in "consul" provider is supported`);
      const st = this.#st();
      const upd = resolveCaConfig(st.config, input.Config ?? {});
      const force = input.ForceWithoutCrossSigning ?? false;
      const keyChanged = upd.config.PrivateKeyBits !== st.config.PrivateKeyBits || upd.config.PrivateKeyType !== st.config.PrivateKeyType;
      const rotate = keyChanged || upd.privateKey !== undefined;
      if (!rotate) {
        await this.#persist({ ...st, config: upd.config, forceWithoutCrossSigning: force }, [], true);
        this.#log.info('CA provider config updated');
        return { rotated: false };
      }
      let key: KeyMaterial;
      let imported: string | undefined;
      if (upd.privateKey !== undefined) {
        try {
          key = await importPrivateKeyPem(upd.privateKey);
        } catch (err) {
          throw invalid(`Invalid CA config: cannot read PrivateKey: ${(err as Error).message}`);
        }
        upd.config.PrivateKeyBits = key.bits;
      } else {
        key = await generateKey(upd.config.PrivateKeyBits);
      }
      if (upd.rootCert !== undefined) {
        let cert: x509.X509Certificate;
        try {
          cert = parseCertPem(upd.rootCert);
        } catch (err) {
          throw invalid(`Invalid CA config: cannot read RootCert: ${(err as Error).message}`);
        }
        const certSpki = Buffer.from(cert.publicKey.rawData).toString('hex');
        const keySpki = Buffer.from(await crypto.subtle.exportKey('spki', key.keys.publicKey)).toString('hex');
        if (certSpki !== keySpki) throw invalid('Invalid CA config: RootCert does not match PrivateKey');
        imported = upd.rootCert;
      }
      const next = await this.#newRoot(st.clusterId, upd.config, key, imported);
      if (st.roots.some((r) => r.ID === next.ID)) throw invalid('Invalid CA config: the supplied root is already in use');
      const old = this.activeRoot();
      if (!force) {
        const oldSigner: Signer = { cert: parseCertPem(old.RootCert), key: await importPrivateKeyPem(old.privateKeyPem) };
        const cross = await crossSign(oldSigner, parseCertPem(next.RootCert), upd.config.IntermediateCertTTL);
        next.IntermediateCerts = [cross.toString('pem')];
      }
      const now = Date.now();
      const keepAfter = now - 2 * upd.config.LeafCertTTL;
      const roots = st.roots
        .map((r) => (r.Active ? { ...r, Active: false, rotatedOutAt: new Date(now).toISOString() } : r))
        .filter((r) => !r.rotatedOutAt || Date.parse(r.rotatedOutAt) >= keepAfter);
      const touched = roots.filter((r) => r.ID === old.ID);
      await this.#persist({ ...st, config: upd.config, forceWithoutCrossSigning: force, roots: [...roots, next] }, [...touched, next], true);
      await this.#loadSigner();
      this.#leafCache.clear();
      this.#log.info('CA rotated to new root under provider', { provider: 'consul', rootId: next.ID });
      for (const l of this.#listeners) l();
      return { rotated: true };
    });
  }
}

/** The CA state of a stored entry; indexes assigned at a write are not in its own value, so they come from the entry. */
function stateFromEntry(e: Entry): CaState {
  const st = JSON.parse(e.value) as CaState;
  for (const r of st.roots) {
    if (!r.createIndex) r.createIndex = e.modRevision;
    if (!r.modifyIndex) r.modifyIndex = e.modRevision;
  }
  if (!st.configCreateIndex) st.configCreateIndex = e.createRevision;
  if (!st.configModifyIndex) st.configModifyIndex = e.modRevision;
  return st;
}
