// The built-in CA provider's configuration: defaults, decoding and Consul's validation texts.
import { parseGoDuration, formatGoDuration } from '../../lib/duration.js';
import { invalid } from '../../lib/errors.js';

export const DEFAULT_LEAF_TTL_MS = 72 * 3_600_000;
export const DEFAULT_INTERMEDIATE_TTL_MS = 8_760 * 3_600_000;
export const DEFAULT_ROOT_TTL_MS = 87_600 * 3_600_000;

export interface CaProviderConfig {
  LeafCertTTL: number;
  IntermediateCertTTL: number;
  RootCertTTL: number;
  PrivateKeyType: 'ec';
  PrivateKeyBits: 256 | 384 | 521;
  CSRMaxPerSecond: number;
  CSRMaxConcurrent: number;
}

export const DEFAULT_CA_CONFIG: CaProviderConfig = {
  LeafCertTTL: DEFAULT_LEAF_TTL_MS,
  IntermediateCertTTL: DEFAULT_INTERMEDIATE_TTL_MS,
  RootCertTTL: DEFAULT_ROOT_TTL_MS,
  PrivateKeyType: 'ec',
  PrivateKeyBits: 256,
  CSRMaxPerSecond: 50,
  CSRMaxConcurrent: 0,
};

/** What a PUT may carry in `Config` (beyond the stored fields): a root to import. */
export interface CaConfigUpdate {
  config: CaProviderConfig;
  privateKey?: string;
  rootCert?: string;
}

function normKey(k: string): string {
  return k.replace(/_/g, '').toLowerCase();
}

function duration(v: unknown, field: string): number {
  if (typeof v === 'number') return v / 1e6;
  const ms = typeof v === 'string' ? parseGoDuration(v) : undefined;
  if (ms === undefined) throw invalid(`Invalid CA config: ${field} must be a duration like "72h", got ${JSON.stringify(v)}`);
  return ms;
}

/** Merges a PUT's `Config` onto the current config and validates (Consul's texts). */
export function resolveCaConfig(current: CaProviderConfig, raw: Record<string, unknown>): CaConfigUpdate {
  const c: CaProviderConfig = { ...current };
  const out: CaConfigUpdate = { config: c };
  for (const [k, v] of Object.entries(raw)) {
    switch (normKey(k)) {
      case 'leafcertttl':
        c.LeafCertTTL = duration(v, 'LeafCertTTL');
        break;
      case 'intermediatecertttl':
        c.IntermediateCertTTL = duration(v, 'IntermediateCertTTL');
        break;
      case 'rootcertttl':
        c.RootCertTTL = duration(v, 'RootCertTTL');
        break;
      case 'privatekeytype':
        if (v !== 'ec' && v !== 'rsa') throw invalid(`Invalid CA config: PrivateKeyType must be "ec" or "rsa", got ${JSON.stringify(v)}`);
        if (v === 'rsa') throw invalid('Invalid CA config: PrivateKeyType "rsa" is not supported by this server; use "ec"');
        c.PrivateKeyType = 'ec';
        break;
      case 'privatekeybits': {
        const n = Number(v);
        if (![224, 256, 384, 521].includes(n)) throw invalid('EC key length must be one of (224, 256, 384, 521) bits');
        if (n === 224) throw invalid('Invalid CA config: 224-bit EC keys are not supported by this server; use 256, 384 or 521');
        c.PrivateKeyBits = n as 256 | 384 | 521;
        break;
      }
      case 'csrmaxpersecond':
        c.CSRMaxPerSecond = Number(v);
        break;
      case 'csrmaxconcurrent':
        c.CSRMaxConcurrent = Number(v);
        break;
      case 'privatekey':
        if (typeof v === 'string' && v !== '') out.privateKey = v;
        break;
      case 'rootcert':
        if (typeof v === 'string' && v !== '') out.rootCert = v;
        break;
      case 'clusterid':
      case 'rotationperiod':
      case 'intermediatecertttlsetbyuser':
        break;
      default:
        throw invalid(`Invalid CA config: unknown key "${k}"`);
    }
  }
  if (c.LeafCertTTL < 3_600_000) throw invalid('leaf cert TTL must be greater or equal than 1h0m0s');
  if (c.LeafCertTTL > 8_760 * 3_600_000) throw invalid('leaf cert TTL must be less than 8760h0m0s');
  if (c.IntermediateCertTTL < 3 * 3_600_000) throw invalid('Intermediate Cert TTL must be greater or equal than 3h');
  if (c.IntermediateCertTTL < 3 * c.LeafCertTTL) {
    throw invalid(`Intermediate Cert TTL must be greater or equal than 3 * LeafCertTTL (>=${formatGoDuration(3 * c.LeafCertTTL)}).`);
  }
  if (c.RootCertTTL <= c.IntermediateCertTTL) throw invalid('root cert TTL is set and is not greater than intermediate cert ttl');
  // A PrivateKey alone is Consul's documented way to rotate to a root generated from that key;
  // a RootCert cannot be used without the key that signs with it.
  if (out.rootCert !== undefined && out.privateKey === undefined) {
    throw invalid('Invalid CA config: RootCert requires the PrivateKey it was issued for');
  }
  return out;
}

export function renderCaConfig(c: CaProviderConfig): Record<string, unknown> {
  return {
    LeafCertTTL: formatGoDuration(c.LeafCertTTL),
    IntermediateCertTTL: formatGoDuration(c.IntermediateCertTTL),
    RootCertTTL: formatGoDuration(c.RootCertTTL),
    PrivateKeyType: c.PrivateKeyType,
    PrivateKeyBits: c.PrivateKeyBits,
    CSRMaxPerSecond: c.CSRMaxPerSecond,
    CSRMaxConcurrent: c.CSRMaxConcurrent,
  };
}
