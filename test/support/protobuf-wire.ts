// The protobuf wire format by hand, for requests no well-behaved encoder writes (invalid UTF-8,
// unknown enum numbers, wrong wire types, groups), and the schema of every message of a contract,
// read from the descriptor set `pnpm generate` compiles (gen/<contract>.binpb).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './grpc.js';

export const WIRE = { varint: 0, i64: 1, len: 2, startGroup: 3, endGroup: 4, i32: 5 } as const;

/** Base-128 varint; negative numbers as 64-bit two's complement (ten bytes), as int32/int64 encode them. */
export function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

/** Zigzag for sint32/sint64. */
export function zigzag(value: number | bigint): bigint {
  const v = BigInt(value);
  return BigInt.asUintN(64, (v << 1n) ^ (v < 0n ? -1n : 0n));
}

export function tag(field: number, wire: number): number[] {
  // Field numbers go up to 2^29 - 1: the shift overflows 32-bit integers.
  return varint(BigInt(field) * 8n + BigInt(wire));
}

export function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function lengthDelimited(field: number, payload: Uint8Array | readonly number[]): Uint8Array {
  return concat([tag(field, WIRE.len), varint(payload.length), payload]);
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function fixed64(value: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, value, true);
  return b;
}

export function fixed32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, value, true);
  return b;
}

// FieldDescriptorProto.Type
export const FIELD_TYPE = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  group: 10,
  message: 11,
  bytes: 12,
  uint32: 13,
  enum: 14,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
} as const;

export interface FieldSchema {
  /** The proto name, lower_snake_case. */
  name: string;
  number: number;
  type: number;
  repeated: boolean;
  /** Fully qualified, without the leading dot, for messages and enums. */
  typeName: string;
}

export interface MessageSchema {
  name: string;
  fields: FieldSchema[];
}

export interface ContractSchema {
  messages: Map<string, MessageSchema>;
  /** Enum name → its declared numbers. */
  enums: Map<string, number[]>;
  /** `/pkg.Service/Method` → request message name. */
  requestTypes: Map<string, string>;
}

/** Just enough of a reader for descriptor sets (no groups, no fixed fields in them). */
class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }

  bytes(): Uint8Array {
    const n = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Calls each(field, wire) for every field; length-delimited payloads are read with bytes(). */
  fields(each: (field: number, wire: number) => void): void {
    while (!this.done) {
      const key = this.varint();
      const [field, wire] = [Math.floor(key / 8), key % 8];
      const before = this.pos;
      each(field, wire);
      if (this.pos === before) this.skip(wire);
    }
  }

  private skip(wire: number): void {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.len) this.bytes();
    else if (wire === WIRE.i64) this.pos += 8;
    else if (wire === WIRE.i32) this.pos += 4;
    else throw new Error(`descriptor set: unexpected wire type ${wire}`);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Reads gen/<contract>.binpb: every message (nested ones too), enum and RPC request type. */
export function readContract(contract: 'gateway' | 'context' | 'embedding' | 'extraction'): ContractSchema {
  const schema: ContractSchema = { messages: new Map(), enums: new Map(), requestTypes: new Map() };
  const set = new Reader(readFileSync(path.join(ROOT, 'packages/shared/src/gen', `${contract}.binpb`)));
  set.fields((f) => {
    if (f !== 1) return;
    const file = new Reader(set.bytes());
    const messages: Uint8Array[] = [];
    const enums: Uint8Array[] = [];
    const services: Uint8Array[] = [];
    let pkg = '';
    file.fields((g) => {
      if (g === 2) pkg = text(file.bytes());
      else if (g === 4) messages.push(file.bytes());
      else if (g === 5) enums.push(file.bytes());
      else if (g === 6) services.push(file.bytes());
    });
    for (const m of messages) readMessage(schema, pkg, m);
    for (const e of enums) readEnum(schema, pkg, e);
    for (const s of services) readService(schema, pkg, s);
  });
  return schema;
}

function readMessage(schema: ContractSchema, scope: string, bytes: Uint8Array): void {
  const r = new Reader(bytes);
  let name = '';
  const fields: FieldSchema[] = [];
  const nested: Uint8Array[] = [];
  const enums: Uint8Array[] = [];
  r.fields((f) => {
    if (f === 1) name = text(r.bytes());
    else if (f === 2) fields.push(readField(r.bytes()));
    else if (f === 3) nested.push(r.bytes());
    else if (f === 4) enums.push(r.bytes());
  });
  const full = scope ? `${scope}.${name}` : name;
  schema.messages.set(full, { name: full, fields });
  for (const n of nested) readMessage(schema, full, n);
  for (const e of enums) readEnum(schema, full, e);
}

function readField(bytes: Uint8Array): FieldSchema {
  const r = new Reader(bytes);
  const field: FieldSchema = { name: '', number: 0, type: 0, repeated: false, typeName: '' };
  r.fields((f) => {
    if (f === 1) field.name = text(r.bytes());
    else if (f === 3) field.number = r.varint();
    else if (f === 4) field.repeated = r.varint() === 3;
    else if (f === 5) field.type = r.varint();
    else if (f === 6) field.typeName = text(r.bytes()).replace(/^\./, '');
  });
  return field;
}

function readEnum(schema: ContractSchema, scope: string, bytes: Uint8Array): void {
  const r = new Reader(bytes);
  let name = '';
  const numbers: number[] = [];
  r.fields((f) => {
    if (f === 1) name = text(r.bytes());
    else if (f === 2) {
      const v = new Reader(r.bytes());
      v.fields((g) => {
        if (g === 2) numbers.push(v.varint() | 0);
      });
    }
  });
  schema.enums.set(scope ? `${scope}.${name}` : name, numbers);
}

function readService(schema: ContractSchema, pkg: string, bytes: Uint8Array): void {
  const r = new Reader(bytes);
  let name = '';
  const methods: { name: string; input: string }[] = [];
  r.fields((f) => {
    if (f === 1) name = text(r.bytes());
    else if (f === 2) {
      const m = new Reader(r.bytes());
      const method = { name: '', input: '' };
      m.fields((g) => {
        if (g === 1) method.name = text(m.bytes());
        else if (g === 2) method.input = text(m.bytes()).replace(/^\./, '');
      });
      methods.push(method);
    }
  });
  for (const m of methods) schema.requestTypes.set(`/${pkg}.${name}/${m.name}`, m.input);
}
