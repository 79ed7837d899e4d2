// The importer's decoder of ExportedService payloads (field numbers of Consul's service.proto): wire
// bytes straight to the plain fields `fromWire` reads. The generic decoder builds every message with
// all its defaults through reflection, which dominated a bulk import; this one reads only what the
// importer keeps and skips the rest (RaftIndex, EnterpriseMeta, Locality, unknown fields). Repeated
// fields append, maps keep the last entry of a key and a message field seen twice is merged, as in
// any protobuf decoder.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { setOwn } from '../../lib/safe-object.js';

export interface WireNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

export interface WireService {
  Kind: string;
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: Record<string, string>;
  Port: number;
  Weights?: { Passing: number; Warning: number } | undefined;
  EnableTagOverride: boolean;
  Proxy?: { DestinationServiceName: string; DestinationServiceID: string } | undefined;
  Connect?: { PeerMeta?: { SNI: string[]; SpiffeID: string[]; Protocol: string } | undefined } | undefined;
  TaggedAddresses: Record<string, { Address: string; Port: number }>;
  SocketPath: string;
}

export interface WireCheck {
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
}

/** One CheckServiceNode as the importer reads it (a decoded protobuf message has these fields too). */
export interface WireInstance {
  Node?: WireNode | undefined;
  Service?: WireService | undefined;
  Checks: WireCheck[];
}

/** Decodes the bytes of an ExportedService (`repeated CheckServiceNode Nodes = 1`). */
export function decodeExportedService(bytes: Uint8Array): WireInstance[] {
  const r = new BinaryReader(bytes);
  const out: WireInstance[] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) out.push(instance(r, r.uint32()));
    else r.skip(wt, no);
  }
  return out;
}

/** Calls `field` for each field of the message of `len` bytes at the reader's position. */
function fields(r: BinaryReader, len: number, field: (no: number, wt: WireType) => boolean): void {
  const end = r.pos + len;
  if (end > r.len) throw new Error('premature EOF');
  while (r.pos < end) {
    const [no, wt] = r.tag();
    if (!field(no, wt)) r.skip(wt, no);
  }
  if (r.pos !== end) throw new Error('invalid wire format: a field overruns its message');
}

const LD = WireType.LengthDelimited;
const VARINT = WireType.Varint;

function instance(r: BinaryReader, len: number): WireInstance {
  const inst: WireInstance = { Checks: [] };
  fields(r, len, (no, wt) => {
    if (wt !== LD) return false;
    if (no === 1) node(r, r.uint32(), (inst.Node ??= { ID: '', Node: '', Address: '', Datacenter: '', TaggedAddresses: {}, Meta: {} }));
    else if (no === 2) service(r, r.uint32(), (inst.Service ??= { Kind: '', ID: '', Service: '', Tags: [], Address: '', Meta: {}, Port: 0, EnableTagOverride: false, TaggedAddresses: {}, SocketPath: '' }));
    else if (no === 3) inst.Checks.push(check(r, r.uint32()));
    else return false;
    return true;
  });
  return inst;
}

function node(r: BinaryReader, len: number, n: WireNode): void {
  fields(r, len, (no, wt) => {
    if (wt !== LD) return false;
    if (no === 1) n.ID = r.string();
    else if (no === 2) n.Node = r.string();
    else if (no === 3) n.Address = r.string();
    else if (no === 4) n.Datacenter = r.string();
    else if (no === 5) stringMapEntry(r, r.uint32(), n.TaggedAddresses);
    else if (no === 6) stringMapEntry(r, r.uint32(), n.Meta);
    else return false;
    return true;
  });
}

function service(r: BinaryReader, len: number, s: WireService): void {
  fields(r, len, (no, wt) => {
    if (wt === VARINT) {
      if (no === 7) s.Port = r.int32();
      else if (no === 9) s.EnableTagOverride = r.bool();
      else return false;
      return true;
    }
    if (wt !== LD) return false;
    if (no === 1) s.Kind = r.string();
    else if (no === 2) s.ID = r.string();
    else if (no === 3) s.Service = r.string();
    else if (no === 4) s.Tags.push(r.string());
    else if (no === 5) s.Address = r.string();
    else if (no === 6) stringMapEntry(r, r.uint32(), s.Meta);
    else if (no === 8) weights(r, r.uint32(), (s.Weights ??= { Passing: 0, Warning: 0 }));
    else if (no === 11) proxy(r, r.uint32(), (s.Proxy ??= { DestinationServiceName: '', DestinationServiceID: '' }));
    else if (no === 12) connect(r, r.uint32(), (s.Connect ??= {}));
    else if (no === 15) addressMapEntry(r, r.uint32(), s.TaggedAddresses);
    else if (no === 17) s.SocketPath = r.string();
    else return false;
    return true;
  });
}

function check(r: BinaryReader, len: number): WireCheck {
  const c: WireCheck = { CheckID: '', Name: '', Status: '', Notes: '', Output: '', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '' };
  fields(r, len, (no, wt) => {
    if (wt !== LD) return false;
    if (no === 2) c.CheckID = r.string();
    else if (no === 3) c.Name = r.string();
    else if (no === 4) c.Status = r.string();
    else if (no === 5) c.Notes = r.string();
    else if (no === 6) c.Output = r.string();
    else if (no === 7) c.ServiceID = r.string();
    else if (no === 8) c.ServiceName = r.string();
    else if (no === 9) c.ServiceTags.push(r.string());
    else if (no === 12) c.Type = r.string();
    else return false;
    return true;
  });
  return c;
}

function weights(r: BinaryReader, len: number, w: { Passing: number; Warning: number }): void {
  fields(r, len, (no, wt) => {
    if (wt !== VARINT || (no !== 1 && no !== 2)) return false;
    if (no === 1) w.Passing = r.int32();
    else w.Warning = r.int32();
    return true;
  });
}

function proxy(r: BinaryReader, len: number, p: { DestinationServiceName: string; DestinationServiceID: string }): void {
  fields(r, len, (no, wt) => {
    if (wt !== LD || (no !== 1 && no !== 2)) return false;
    if (no === 1) p.DestinationServiceName = r.string();
    else p.DestinationServiceID = r.string();
    return true;
  });
}

function connect(r: BinaryReader, len: number, c: NonNullable<WireService['Connect']>): void {
  fields(r, len, (no, wt) => {
    if (no !== 4 || wt !== LD) return false;
    const m = (c.PeerMeta ??= { SNI: [], SpiffeID: [], Protocol: '' });
    fields(r, r.uint32(), (no2, wt2) => {
      if (wt2 !== LD) return false;
      if (no2 === 1) m.SNI.push(r.string());
      else if (no2 === 2) m.SpiffeID.push(r.string());
      else if (no2 === 3) m.Protocol = r.string();
      else return false;
      return true;
    });
    return true;
  });
}

function stringMapEntry(r: BinaryReader, len: number, into: Record<string, string>): void {
  let key = '';
  let value = '';
  fields(r, len, (no, wt) => {
    if (wt !== LD || (no !== 1 && no !== 2)) return false;
    if (no === 1) key = r.string();
    else value = r.string();
    return true;
  });
  setOwn(into, key, value);
}

function addressMapEntry(r: BinaryReader, len: number, into: Record<string, { Address: string; Port: number }>): void {
  let key = '';
  const value = { Address: '', Port: 0 };
  fields(r, len, (no, wt) => {
    if (no === 1 && wt === LD) key = r.string();
    else if (no === 2 && wt === LD) {
      fields(r, r.uint32(), (no2, wt2) => {
        if (no2 === 1 && wt2 === LD) value.Address = r.string();
        else if (no2 === 2 && wt2 === VARINT) value.Port = r.int32();
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  setOwn(into, key, value);
}
