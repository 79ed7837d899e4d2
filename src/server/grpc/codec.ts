// Bridges protobuf-es generated descriptors to grpc-js service definitions (binary codec per method).
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService, type MessageShape } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** Encoded size of each received message (bounds checks before a peer is authenticated, issue 10). */
const received = new WeakMap<object, number>();

/** How many bytes a received message had on the wire (undefined for messages not decoded here). */
export function wireSize(msg: object): number | undefined {
  return received.get(msg);
}

function decodeCounted(input: DescMessage, b: Buffer): unknown {
  const msg = fromBinary(input, b);
  received.set(msg, b.length);
  return msg;
}

function methodDefinition(service: DescService, m: DescMethod): MethodDefinition<unknown, unknown> {
  const input = m.input as DescMessage;
  const output = m.output as DescMessage;
  return {
    path: `/${service.typeName}/${m.name}`,
    requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
    responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
    requestSerialize: (v: unknown) => Buffer.from(toBinary(input, create(input, v as never))),
    requestDeserialize: (b: Buffer) => decodeCounted(input, b),
    responseSerialize: (v: unknown) => Buffer.from(toBinary(output, create(output, v as never))),
    responseDeserialize: (b: Buffer) => fromBinary(output, b),
    originalName: m.localName,
  };
}

/** A grpc-js ServiceDefinition for a generated service, keyed by each method's local name. */
export function serviceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const m of service.methods) def[m.localName] = methodDefinition(service, m);
  return def as ServiceDefinition;
}

export type Shape<T extends DescMessage> = MessageShape<T>;
