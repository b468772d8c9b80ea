/**
 * The schema table's types (what schema.ts is generated as) and the table compiled once per
 * schema into the lookups decoder.ts and encoder.ts walk.
 */
import { FIXED64, LENGTH_DELIMITED, VARINT } from './wire.js';

export type WireScalar = 'double' | 'bool' | 'string' | 'int32' | 'uint32' | 'int64' | 'uint64';

export interface FieldSpec {
  readonly no: number;
  readonly name: string;
  readonly type: WireScalar | 'message';
  /** The full name of the message type, when `type` is 'message'. */
  readonly message?: string;
  readonly repeated?: true;
  /** The oneof this field belongs to (`_name` for a proto3 `optional` field). */
  readonly oneof?: string;
}

export interface MethodSpec {
  readonly name: string;
  readonly request: string;
  readonly response: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

export interface Schema {
  /** The service's full name (`clearly.v1.Clearly`). */
  readonly service: string;
  readonly methods: readonly MethodSpec[];
  /** Each message's fields in field-number order, by the message's full name. */
  readonly messages: Readonly<Record<string, readonly FieldSpec[]>>;
}

export interface Field {
  readonly spec: FieldSpec;
  readonly index: number;
  readonly wireType: number;
  /** Repeated numbers are packed (proto3's default); strings and messages never are. */
  readonly packed: boolean;
  message: Message | undefined;
}

export interface Message {
  readonly name: string;
  readonly fields: readonly Field[];
  /** Fields by number (sparse). */
  readonly byNo: readonly (Field | undefined)[];
}

const WIRE_TYPE: Readonly<Record<FieldSpec['type'], number>> = {
  double: FIXED64,
  bool: VARINT,
  string: LENGTH_DELIMITED,
  int32: VARINT,
  uint32: VARINT,
  int64: VARINT,
  uint64: VARINT,
  message: LENGTH_DELIMITED,
};

const compiled = new WeakMap<Schema, Map<string, Message>>();

export function messages(schema: Schema): Map<string, Message> {
  let all = compiled.get(schema);
  if (all !== undefined) return all;
  all = new Map();
  for (const [name, specs] of Object.entries(schema.messages)) {
    const byNo: (Field | undefined)[] = [];
    const fields = specs.map((spec, index): Field => {
      const wireType = WIRE_TYPE[spec.type];
      const f = { spec, index, wireType, packed: spec.repeated === true && wireType !== LENGTH_DELIMITED, message: undefined };
      byNo[spec.no] = f;
      return f;
    });
    all.set(name, { name, fields, byNo });
  }
  for (const m of all.values()) {
    for (const f of m.fields) if (f.spec.message !== undefined) f.message = lookup(all, f.spec.message);
  }
  compiled.set(schema, all);
  return all;
}

export function lookup(all: Map<string, Message>, name: string): Message {
  const m = all.get(name);
  if (m === undefined) throw new Error(`proto schema: no message ${name}`);
  return m;
}
