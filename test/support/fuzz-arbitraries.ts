// fast-check arbitraries of gateway requests as wire bytes: valid-shaped requests at every bound
// (encoded by ts-proto), schema-driven messages of any RPC (from the compiled contract, so a new RPC
// is fuzzed without a line here), wire-level mutations no encoder writes, and random bytes.
import fc from 'fast-check';
import type { SopField, SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import {
  CreateSopRequest,
  CreateUserRequest,
  DeactivateSopRequest,
  DeleteEncounterRequest,
  DeleteExtractionRequest,
  DeleteUserRequest,
  ExtractRequest,
  GetExtractionRequest,
  GetUserRequest,
  ImportEncountersRequest,
  ListExtractionsRequest,
  ListSopsRequest,
  UpdateSopRequest,
  type PastEncounter,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { MAX_TEXT_CHARS } from '@clinote/shared/request-bounds.js';
import {
  FIELD_TYPE,
  WIRE,
  concat,
  fixed32,
  fixed64,
  lengthDelimited,
  tag,
  utf8,
  varint,
  zigzag,
  type ContractSchema,
  type FieldSchema,
  type MessageSchema,
} from './protobuf-wire.js';

/** How a case was made; the report counts statuses per family too. */
export type Family =
  | 'valid-shape'
  | 'schema'
  | 'invalid-utf8'
  | 'unknown-field'
  | 'wrong-wire-type'
  | 'truncated'
  | 'bad-length'
  | 'bad-varint'
  | 'huge-repeated'
  | 'over-limit'
  | 'deep-nesting'
  | 'bit-flip'
  | 'merged'
  | 'random';

export interface FuzzCase {
  family: Family;
  bytes: Uint8Array;
}

/** What the calling clinician owns and what another clinician owns, so requests can name real resources. */
export interface FuzzIds {
  self: string;
  other: string;
  sops: string[];
  otherSops: string[];
  encounters: string[];
  extractions: string[];
  otherEncounters: string[];
  /** Page tokens of ListExtractions: the caller's own and another clinician's. */
  pageTokens: string[];
}

/** The server's receive limit (grpc-server.ts): messages up to it are decoded, larger ones refused by grpc-js. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The gateway's default MAX_TRANSCRIPT_CHARS. */
const MAX_TRANSCRIPT_CHARS = 200_000;
const LONG_TEXT = [MAX_TRANSCRIPT_CHARS, MAX_TEXT_CHARS];
const ID = [36, 64];

/** Length bounds per proto field: request-bounds.ts, then the handlers' own (SOP keys, texts, emails). */
const TEXT_BOUNDS: Record<string, number[]> = {
  user_id: ID,
  sop_id: ID,
  sop_ids: ID,
  encounter_id: ID,
  extraction_id: ID,
  email: [320],
  display_name: [200],
  name: [200],
  key: [64, 100],
  title: [200],
  label: [200],
  unit: [50],
  code_system: [100],
  enum_values: [200],
  instructions: [4_000, 10_000],
  external_id: [200],
  idempotency_key: [200],
  page_token: [200],
  transcript: LONG_TEXT,
  note: LONG_TEXT,
  reference_note: LONG_TEXT,
};
/** Element-count bounds per repeated field: request-bounds.ts, then the handlers'. */
const COUNT_BOUNDS: Record<string, number[]> = {
  sop_ids: [10, 50],
  sections: [50, 100],
  fields: [100, 200],
  enum_values: [200],
  encounters: [500],
};

/** One code unit or short sequence each: control, whitespace, combining, bidi, BOM, astral, lone surrogates. */
const EDGE_UNITS = [
  'a', 'Z', '0', ' ', '\t', '\n', '\r\n', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', 'é', 'e\u0301',
  'ß', 'İ', 'ǅ', '\u2028', '\u200b', '\u200d', '\u202e', '\u2066', '\ufeff', '\ufffd', '\uffff', '\ud800', '\udfff',
  '\udc00\ud800', '😀', '👩‍⚕️', '𝕏', '\u{10ffff}', '\u{e0001}', '\\', '"', "'", '%', '_', '*', '<', '{', '$', '@', '/',
];
const NASTY_STRINGS = [
  '', ' ', '   \t\n', 'null', 'undefined', 'NaN', '0', '-1', 'true', '[]', '{}', '%s%s%n', '${7*7}', '{{7*7}}',
  "'; drop table context.encounter; --", "' or '1'='1", '../../etc/passwd', '\u0000', 'a\u0000b', '\\u0000', '\ud800',
  '<script>alert(1)</script>', 'SELECT pg_sleep(10)', 'a'.repeat(10_000).replace(/a/g, 'a '), '🤖'.repeat(40),
];
/** Byte sequences that are not UTF-8: a bad continuation, stray continuations, overlongs, surrogates, past U+10FFFF, truncated. */
const INVALID_UTF8: number[][] = [
  [0xc3, 0x28], [0xa0, 0xa1], [0x80], [0xbf], [0xe2, 0x28, 0xa1], [0xe2, 0x82, 0x28], [0xf0, 0x28, 0x8c, 0xbc],
  [0xf0, 0x90, 0x28, 0xbc], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], [0xfe], [0xff],
  [0xe2, 0x82], [0xf0, 0x9f, 0x98],
];
const UNKNOWN_ENUMS = [-1, 7, 99, 1_000, 2 ** 31 - 1, -(2 ** 31)];
const INT_EDGES: (number | bigint)[] = [
  0, 1, -1, 2, 19, 20, 21, 49, 50, 51, 99, 100, 101, 499, 500, 501, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 32,
  // Timestamp seconds: year 10000, and just past the range a Date holds (8.64e15 ms).
  253_402_300_800, 8_640_000_000_000, 8_640_000_000_001, 2 ** 53 - 1, 2 ** 53, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n,
];
const DOUBLE_EDGES = [NaN, Infinity, -Infinity, -0, 0, 1, 0.5, 1 + Number.EPSILON, -Number.MIN_VALUE, Number.MIN_VALUE, Number.MAX_VALUE, -1];

/** `length` code units of `unit` repeated (cutting an astral unit in half leaves a lone surrogate: one more edge case). */
function filled(length: number, unit: string): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function lengthsAround(bounds: readonly number[]): number[] {
  return [...new Set([0, 1, ...bounds.flatMap((b) => [b - 1, b, b + 1])])].filter((n) => n >= 0).sort((a, b) => a - b);
}

/** Text for a field with these length bounds: short edge-case strings mostly, every length at and around a bound sometimes. */
export function text(bounds: readonly number[] = [MAX_TEXT_CHARS]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...EDGE_UNITS), maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...lengthsAround(bounds)), fc.constantFrom(...EDGE_UNITS)).map(([n, u]) => filled(n, u)) },
  );
}

const boundsOf = (field: string) => TEXT_BOUNDS[field] ?? [MAX_TEXT_CHARS];

/** Arrays of the element at lengths around the field's count bounds, built cheaply from an index. */
function countAround<T>(field: string, element: (i: number) => T): fc.Arbitrary<T[]> {
  return fc.constantFrom(...lengthsAround(COUNT_BOUNDS[field] ?? [1_000])).map((n) => Array.from({ length: n }, (_, i) => element(i)));
}

const DIALOGUE = [
  'Doctor: What brings you in today?',
  'Patient: I have had a dry cough for three days and a sore throat.',
  'Doctor: Any fever or chills?',
  'Patient: No fever. My chest hurts a little when I cough.',
  'Doctor: Your blood pressure is 128/82 and your heart rate is 88.',
  'Doctor: Lungs are clear. I think this is a viral infection.',
  'Doctor: Take ibuprofen 400 mg twice a day and come back in a week if it is not better.',
  'Patient: I am allergic to penicillin. I take lisinopril 10 mg daily.',
];
/** A short transcript: extraction of it takes milliseconds, so valid Extracts stay cheap. */
const shortTranscript = fc
  .array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...DIALOGUE) }, { weight: 1, arbitrary: text([200]) }), { minLength: 1, maxLength: 6 })
  .map((lines) => lines.join('\n'));

const pick = (values: readonly string[]) => (values.length > 0 ? fc.constantFrom(...values) : fc.uuid());

/** An id field: the caller's own resources, their ids upper-cased, another clinician's, random UUIDs and junk. */
function idOf(own: readonly string[], others: readonly string[], field: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: pick(own) },
    { weight: 1, arbitrary: pick(own).map((id) => id.toUpperCase()) },
    { weight: 1, arbitrary: pick(others) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: text(boundsOf(field)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'not-a-uuid', '{uuid}'),
    },
    { weight: 1, arbitrary: fc.tuple(pick(own), fc.constantFrom(' ', '\u0000', '\n', 'x', '\u00a0')).map(([id, s]) => id + s) },
  );
}

/** A request's user_id: usually empty (the caller), else the caller's own id, someone else's, or junk. */
function userIdOf(ids: FuzzIds): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constant(ids.self) },
    { weight: 1, arbitrary: fc.constant(ids.self.toUpperCase()) },
    { weight: 1, arbitrary: fc.constant(ids.other) },
    { weight: 2, arbitrary: text(ID) },
    { weight: 1, arbitrary: fc.uuid() },
  );
}

const sopKey = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/) },
  { weight: 1, arbitrary: text(TEXT_BOUNDS.key) },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), 'A', '_a', '1a', 'a-b', 'ä', 'a\u0000') },
);
const fieldType = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 3, 4, 5, 6) }, { weight: 2, arbitrary: fc.constantFrom(0, ...UNKNOWN_ENUMS) });

const sopField: fc.Arbitrary<SopField> = fc.record({
  key: sopKey,
  label: fc.oneof(fc.constantFrom('Chief complaint', 'Heart rate'), text(TEXT_BOUNDS.label)),
  type: fieldType,
  required: fc.boolean(),
  instructions: fc.oneof(fc.constantFrom('', 'The main reason for the visit.'), text(TEXT_BOUNDS.instructions)),
  enumValues: fc.oneof(
    { weight: 5, arbitrary: fc.array(text(TEXT_BOUNDS.enum_values), { maxLength: 4 }) },
    { weight: 1, arbitrary: countAround('enum_values', (i) => `value_${i}`) },
  ),
  unit: fc.oneof(fc.constantFrom('', 'mg', 'bpm', 'mmHg'), text(TEXT_BOUNDS.unit)),
  codeSystem: fc.oneof(fc.constantFrom('', 'ICD-10-CM', 'SNOMED CT'), text(TEXT_BOUNDS.code_system)),
});

const plainField = (i: number): SopField => ({
  key: `field_${i}`,
  label: `Field ${i}`,
  type: 1,
  required: false,
  instructions: '',
  enumValues: [],
  unit: '',
  codeSystem: '',
});
const plainSection = (i: number, fields = 1): SopSection => ({
  key: `section_${i}`,
  title: `Section ${i}`,
  instructions: '',
  fields: Array.from({ length: fields }, (_, j) => plainField(j)),
});

const sopSection: fc.Arbitrary<SopSection> = fc.record({
  key: sopKey,
  title: fc.oneof(fc.constantFrom('Subjective', 'Plan'), text(TEXT_BOUNDS.title)),
  instructions: fc.oneof(fc.constant(''), text(TEXT_BOUNDS.instructions)),
  fields: fc.oneof(
    { weight: 6, arbitrary: fc.array(sopField, { maxLength: 4 }) },
    { weight: 1, arbitrary: countAround('fields', plainField) },
  ),
});

/** SOP sections: the demo SOAP note (valid), it with one field or one field's type changed, generated ones, and the largest SOPs at their bounds. */
const sopSections: fc.Arbitrary<SopSection[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(SOAP_NOTE_SECTIONS) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.nat(), sopField).map(([at, changed]) => {
      const sections = structuredClone(SOAP_NOTE_SECTIONS);
      const section = sections[at % sections.length]!;
      section.fields[at % section.fields.length] = changed;
      return sections;
    }),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat(), fieldType).map(([at, type]) => {
      const sections = structuredClone(SOAP_NOTE_SECTIONS);
      const section = sections[at % sections.length]!;
      section.fields[at % section.fields.length]!.type = type;
      return sections;
    }),
  },
  { weight: 4, arbitrary: fc.array(sopSection, { maxLength: 4 }) },
  { weight: 1, arbitrary: countAround('sections', (i) => plainSection(i)) },
  // The deepest valid SOP: 50 sections of 100 fields each.
  { weight: 1, arbitrary: fc.constantFrom(50, 51).map((n) => Array.from({ length: n }, (_, i) => plainSection(i, 100))) },
);

const sopName = fc.oneof(fc.constantFrom('SOAP', 'Cardiology follow-up'), text(TEXT_BOUNDS.name));

const qualityScore = fc.option(fc.oneof(fc.double(), fc.constantFrom(...DOUBLE_EDGES)), { nil: undefined });
const pastEncounter: fc.Arbitrary<PastEncounter> = fc.record({
  transcript: fc.oneof({ weight: 6, arbitrary: shortTranscript }, { weight: 1, arbitrary: text(TEXT_BOUNDS.transcript) }),
  note: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('Assessment: viral URI. Plan: ibuprofen.', 'Plan: follow up in one week.') }, { weight: 1, arbitrary: text(TEXT_BOUNDS.note) }),
  qualityScore,
  externalId: fc.oneof(fc.constantFrom('', 'ext-1', 'ext-2', 'ext-3'), text(TEXT_BOUNDS.external_id)),
});

const pageSize = fc.oneof(fc.constantFrom(...INT_EDGES.filter((n): n is number => typeof n === 'number' && n >= -(2 ** 31) && n < 2 ** 31)), fc.integer());

function pageToken(ids: FuzzIds): fc.Arbitrary<string> {
  const real = pick(ids.pageTokens.length > 0 ? ids.pageTokens : ['']);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: real },
    // One character changed, appended or dropped: a forged or damaged token.
    {
      weight: 3,
      arbitrary: fc.tuple(real, fc.nat(), fc.constantFrom('A', '_', '-', '=', '.', '\u0000')).map(([t, at, c]) =>
        t.length === 0 ? c : t.slice(0, at % t.length) + c + t.slice((at % t.length) + 1),
      ),
    },
    { weight: 1, arbitrary: real.map((t) => t.slice(0, -1)) },
    { weight: 2, arbitrary: text(TEXT_BOUNDS.page_token) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('base64url')) },
  );
}

const encoded = <T>(fns: { encode(message: T): { finish(): Uint8Array } }) => (message: T) => fns.encode(message).finish();

/**
 * Valid-shaped requests per RPC, encoded by ts-proto: real ids of the caller and of someone else,
 * every text and count at and around its bounds. Valid Extracts get short transcripts (an
 * extraction of one takes milliseconds); long ones come with other faults most of the time.
 */
export const VALID_SHAPED: Record<string, (ids: FuzzIds) => fc.Arbitrary<Uint8Array>> = {
  CreateUser: () =>
    fc
      .record({
        email: fc.oneof(
          fc.emailAddress(),
          text(TEXT_BOUNDS.email),
          fc.constantFrom('a@b.co', ' a@b.co ', 'a@@b.co', '@b.co', 'a@b', 'a@.co', 'a@b.', 'a b@c.de', 'a\u0000@b.co', `${'a'.repeat(313)}@b.co`, `${'a'.repeat(314)}@b.co`, `${'a'.repeat(315)}@b.co`),
        ),
        displayName: fc.oneof(fc.constantFrom('Dr. Ada Lovelace', 'Ångström', ' '), text(TEXT_BOUNDS.display_name)),
      })
      .map(encoded(CreateUserRequest)),
  GetUser: (ids) => fc.record({ userId: userIdOf(ids) }).map(encoded(GetUserRequest)),
  CreateSop: (ids) => fc.record({ userId: userIdOf(ids), name: sopName, sections: sopSections }).map(encoded(CreateSopRequest)),
  UpdateSop: (ids) =>
    fc
      .record({ userId: userIdOf(ids), sopId: idOf(ids.sops, ids.otherSops, 'sop_id'), name: sopName, sections: sopSections })
      .map(encoded(UpdateSopRequest)),
  DeactivateSop: (ids) => fc.record({ userId: userIdOf(ids), sopId: idOf(ids.sops, ids.otherSops, 'sop_id') }).map(encoded(DeactivateSopRequest)),
  ListSops: (ids) => fc.record({ userId: userIdOf(ids), includeInactive: fc.boolean() }).map(encoded(ListSopsRequest)),
  ImportEncounters: (ids) =>
    fc
      .record({
        userId: userIdOf(ids),
        encounters: fc.oneof(
          { weight: 8, arbitrary: fc.array(pastEncounter, { minLength: 0, maxLength: 3 }) },
          {
            weight: 1,
            arbitrary: countAround('encounters', (i) => ({ transcript: `Patient ${i}: cough.`, note: 'Plan: rest.', qualityScore: undefined, externalId: '' })),
          },
        ),
      })
      .map(encoded(ImportEncountersRequest)),
  Extract: (ids) => {
    const ownSops: fc.Arbitrary<string[]> = ids.sops.length > 0 ? fc.subarray(ids.sops, { minLength: 1 }) : fc.constant([]);
    const valid: fc.Arbitrary<ExtractRequest> = fc.record({
      userId: fc.constantFrom('', ids.self, ids.self.toUpperCase()),
      transcript: shortTranscript,
      sopIds: ownSops,
      // A few keys reused across different transcripts: replays and ALREADY_EXISTS.
      idempotencyKey: fc.constantFrom<string>('', '', '', 'fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'),
      referenceNote: fc.oneof(fc.constant(''), fc.constantFrom(...DIALOGUE)),
    });
    const sopIds = fc.oneof(
      { weight: 4, arbitrary: ownSops },
      { weight: 4, arbitrary: fc.array(idOf(ids.sops, ids.otherSops, 'sop_ids'), { maxLength: 4 }) },
      { weight: 1, arbitrary: countAround('sop_ids', (i) => ids.sops[i % Math.max(1, ids.sops.length)] ?? '') },
      { weight: 1, arbitrary: countAround('sop_ids', () => '') },
    );
    const anything: fc.Arbitrary<ExtractRequest> = fc.record({
      userId: userIdOf(ids),
      transcript: fc.oneof({ weight: 3, arbitrary: shortTranscript }, { weight: 2, arbitrary: text(TEXT_BOUNDS.transcript) }),
      sopIds,
      idempotencyKey: fc.oneof(fc.constantFrom('', 'fuzz-key-1'), text(TEXT_BOUNDS.idempotency_key)),
      referenceNote: fc.oneof(fc.constant(''), text(TEXT_BOUNDS.reference_note)),
    });
    return fc.oneof({ weight: 1, arbitrary: valid }, { weight: 3, arbitrary: anything }).map(encoded(ExtractRequest));
  },
  GetExtraction: (ids) =>
    fc
      .record({ userId: userIdOf(ids), extractionId: idOf([...ids.extractions, ...ids.encounters], ids.otherEncounters, 'extraction_id') })
      .map(encoded(GetExtractionRequest)),
  ListExtractions: (ids) => fc.record({ userId: userIdOf(ids), pageSize, pageToken: pageToken(ids) }).map(encoded(ListExtractionsRequest)),
  DeleteEncounter: (ids) =>
    fc
      .record({ userId: userIdOf(ids), encounterId: idOf([...ids.encounters, ...ids.extractions], ids.otherEncounters, 'encounter_id') })
      .map(encoded(DeleteEncounterRequest)),
  DeleteExtraction: (ids) =>
    fc
      .record({ userId: userIdOf(ids), extractionId: idOf([...ids.extractions, ...ids.encounters], ids.otherEncounters, 'extraction_id') })
      .map(encoded(DeleteExtractionRequest)),
  DeleteUser: (ids) => fc.record({ userId: userIdOf(ids) }).map(encoded(DeleteUserRequest)),
};

const invalidUtf8Text = fc
  .tuple(fc.string({ maxLength: 8 }), fc.array(fc.constantFrom(...INVALID_UTF8), { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 8 }))
  .map(([before, bad, after]) => concat([utf8(before), ...bad, utf8(after)]));

/** What schema-driven messages draw id fields from: real ids, so some of them reach the handlers. */
interface SchemaContext {
  contract: ContractSchema;
  ids: string[];
  cache: Map<string, fc.Arbitrary<Uint8Array>>;
}

/** A value of one field as wire bytes (tag included), from its declared type, with edge values of that type. */
function fieldValue(ctx: SchemaContext, field: FieldSchema, depth: number): fc.Arbitrary<Uint8Array> {
  const { contract } = ctx;
  const n = field.number;
  switch (field.type) {
    case FIELD_TYPE.string: {
      const isId = /_ids?$/.test(field.name);
      return fc
        .oneof(
          { weight: 5, arbitrary: text(boundsOf(field.name)).map(utf8) },
          { weight: isId ? 5 : 0, arbitrary: idOf(ctx.ids, [], field.name).map(utf8) },
          { weight: 1, arbitrary: invalidUtf8Text },
        )
        .map((b) => lengthDelimited(n, b));
    }
    case FIELD_TYPE.bytes:
      return fc.uint8Array({ maxLength: 64 }).map((b) => lengthDelimited(n, b));
    case FIELD_TYPE.message:
      return depth >= 4 ? fc.constant(lengthDelimited(n, [])) : schemaMessage(ctx, field.typeName, depth + 1).map((b) => lengthDelimited(n, b));
    case FIELD_TYPE.enum:
      return fc
        .oneof(fc.constantFrom(...(contract.enums.get(field.typeName) ?? [0])), fc.constantFrom(...UNKNOWN_ENUMS))
        .map((v) => concat([tag(n, WIRE.varint), varint(v)]));
    case FIELD_TYPE.bool:
      // Anything but 0 decodes as true; a 64-bit varint too.
      return fc.constantFrom<number | bigint>(0, 1, 2, 255, 2n ** 64n - 1n).map((v) => concat([tag(n, WIRE.varint), varint(v)]));
    case FIELD_TYPE.sint32:
    case FIELD_TYPE.sint64:
      return fc.oneof(fc.constantFrom(...INT_EDGES), fc.integer()).map((v) => concat([tag(n, WIRE.varint), varint(zigzag(v))]));
    case FIELD_TYPE.double:
      return fc.oneof(fc.double(), fc.constantFrom(...DOUBLE_EDGES)).map((v) => concat([tag(n, WIRE.i64), fixed64(v)]));
    case FIELD_TYPE.float:
      return fc.oneof(fc.float(), fc.constantFrom(...DOUBLE_EDGES)).map((v) => concat([tag(n, WIRE.i32), fixed32(v)]));
    case FIELD_TYPE.fixed64:
    case FIELD_TYPE.sfixed64:
      return fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => concat([tag(n, WIRE.i64), b]));
    case FIELD_TYPE.fixed32:
    case FIELD_TYPE.sfixed32:
      return fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => concat([tag(n, WIRE.i32), b]));
    default:
      // int32, int64, uint32, uint64 (groups do not occur in proto3 contracts).
      return fc.oneof(fc.constantFrom(...INT_EDGES), fc.integer()).map((v) => concat([tag(n, WIRE.varint), varint(v)]));
  }
}

/** Any message of the contract from its descriptor: each field present or not, repeated ones 0-3 times, fields in either order. */
function schemaMessage(ctx: SchemaContext, typeName: string, depth = 0): fc.Arbitrary<Uint8Array> {
  const key = `${typeName}@${depth}`;
  const cached = ctx.cache.get(key);
  if (cached) return cached;
  const message = ctx.contract.messages.get(typeName);
  if (!message) throw new Error(`no message ${typeName} in the contract`);
  const fields = message.fields.map((f) => {
    const value = fieldValue(ctx, f, depth);
    return f.repeated ? fc.array(value, { maxLength: 3 }).map(concat) : fc.option(value, { nil: new Uint8Array(), freq: 3 });
  });
  const arbitrary = fc.tuple(fc.tuple(...fields), fc.boolean()).map(([parts, reversed]) => concat(reversed ? [...parts].reverse() : parts));
  ctx.cache.set(key, arbitrary);
  return arbitrary;
}

/** Wire bytes of one element that decodes cheaply on the wire but costs an object (or a string) once decoded. */
function minimalElement(field: FieldSchema): Uint8Array {
  if (field.type === FIELD_TYPE.string || field.type === FIELD_TYPE.bytes || field.type === FIELD_TYPE.message) return lengthDelimited(field.number, []);
  if (field.type === FIELD_TYPE.double || field.type === FIELD_TYPE.fixed64 || field.type === FIELD_TYPE.sfixed64) return concat([tag(field.number, WIRE.i64), fixed64(0)]);
  if (field.type === FIELD_TYPE.float || field.type === FIELD_TYPE.fixed32 || field.type === FIELD_TYPE.sfixed32) return concat([tag(field.number, WIRE.i32), fixed32(0)]);
  return concat([tag(field.number, WIRE.varint), [0]]);
}

function repeatBytes(element: Uint8Array, count: number, prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + element.length * count);
  out.set(prefix);
  for (let i = 0, at = prefix.length; i < count; i++, at += element.length) out.set(element, at);
  return out;
}

/** Nested length-delimited unknown fields, `depth` levels, written outside-in without copying each level. */
function nestedLengthDelimited(field: number, depth: number): Uint8Array {
  const head = tag(field, WIRE.len);
  const sizes: number[] = new Array(depth + 1).fill(0);
  for (let level = depth - 1; level >= 0; level--) sizes[level] = head.length + varint(sizes[level + 1]!).length + sizes[level + 1]!;
  const out = new Uint8Array(sizes[0]!);
  let at = 0;
  for (let level = 0; level < depth; level++) {
    out.set(head, at);
    at += head.length;
    const len = varint(sizes[level + 1]!);
    out.set(len, at);
    at += len.length;
  }
  return out;
}

/** Wire-level damage to a base message: the faults a broken or hostile client sends. */
export function mutations(base: fc.Arbitrary<Uint8Array>, message: MessageSchema, contract: ContractSchema): fc.Arbitrary<FuzzCase> {
  const known = message.fields;
  const stringFields = known.filter((f) => f.type === FIELD_TYPE.string);
  const repeated = known.filter((f) => f.repeated);
  const maxField = Math.max(0, ...known.map((f) => f.number));
  const anyField = known.length > 0 ? fc.constantFrom(...known) : fc.constant<FieldSchema>({ name: 'x', number: 1, type: FIELD_TYPE.string, repeated: false, typeName: '' });
  const unknownNumber = fc.oneof(fc.constantFrom(maxField + 1, 15, 16, 2047, 2048, 19_000, 19_999, 2 ** 29 - 1), fc.integer({ min: maxField + 1, max: 2 ** 29 - 1 }));
  const payloadOf = (wire: number): fc.Arbitrary<readonly number[] | Uint8Array> => {
    if (wire === WIRE.varint) return fc.constantFrom(...INT_EDGES).map((v) => varint(v));
    if (wire === WIRE.i64) return fc.uint8Array({ minLength: 8, maxLength: 8 });
    if (wire === WIRE.i32) return fc.uint8Array({ minLength: 4, maxLength: 4 });
    if (wire === WIRE.len) return fc.uint8Array({ maxLength: 64 }).map((b) => concat([varint(b.length), b]));
    return fc.constant([]);
  };
  const field = (fieldNo: number, wire: number) =>
    wire === WIRE.startGroup
      ? fc.constant(concat([tag(fieldNo, WIRE.startGroup), tag(fieldNo, WIRE.endGroup)]))
      : payloadOf(wire).map((p) => concat([tag(fieldNo, wire), p]));
  const wireType = fc.constantFrom(WIRE.varint, WIRE.i64, WIRE.len, WIRE.startGroup, WIRE.endGroup, WIRE.i32, 6, 7);
  const at = (b: Uint8Array, extra: Uint8Array, front: boolean) => (front ? concat([extra, b]) : concat([b, extra]));
  const family = (f: Family) => (bytes: Uint8Array): FuzzCase => ({ family: f, bytes });

  const invalidUtf8 = fc
    .tuple(base, stringFields.length > 0 ? fc.constantFrom(...stringFields) : anyField, invalidUtf8Text)
    // A later occurrence of a field wins (or appends, when repeated): the bad string is what the server decodes.
    .map(([b, f, bad]) => concat([b, lengthDelimited(f.number, bad)]))
    .map(family('invalid-utf8'));
  const unknown = fc
    .tuple(base, unknownNumber, wireType.filter((w) => w !== WIRE.endGroup && w < 6), fc.boolean())
    .chain(([b, n, w, front]) => field(n, w).map((extra) => at(b, extra, front)))
    .map(family('unknown-field'));
  const wrongWire = fc
    .tuple(base, anyField, wireType, fc.boolean())
    .chain(([b, f, w, front]) => field(f.number, w).map((extra) => at(b, extra, front)))
    .map(family('wrong-wire-type'));
  const truncated = fc
    .tuple(base, fc.nat())
    .filter(([b]) => b.length > 1)
    .map(([b, cut]) => b.subarray(0, 1 + (cut % (b.length - 1))))
    .map(family('truncated'));
  const badLength = fc
    .tuple(base, anyField, fc.constantFrom<number | bigint>(1, 64, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2n ** 63n, 2n ** 64n - 1n), fc.uint8Array({ maxLength: 16 }))
    .map(([b, f, len, rest]) => concat([b, tag(f.number, WIRE.len), varint(len), rest]))
    .map(family('bad-length'));
  const badVarint = fc
    .tuple(base, anyField, fc.constantFrom([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], [0xff], [0x80, 0x80]))
    .map(([b, f, v]) => concat([b, tag(f.number, WIRE.varint), v]))
    .map(family('bad-varint'));
  // Many elements of a repeated field (or one field repeated, where none is): within the receive
  // limit, up to the most that fit, and once just over it.
  const hugeTarget = repeated.length > 0 ? fc.constantFrom(...repeated) : anyField;
  const huge = fc
    .tuple(base, hugeTarget, fc.constantFrom(1_001, 10_000, 100_000, 1_000_000, 'fill' as const))
    .map(([b, f, count]) => {
      const element = minimalElement(f);
      const n = count === 'fill' ? Math.floor((MAX_MESSAGE_BYTES - b.length) / element.length) : count;
      return repeatBytes(element, n, b);
    })
    .map(family('huge-repeated'));
  // One sub-message (a SOP section, an encounter) holding the many elements instead: decoding
  // allocates them just the same.
  const nestedTargets = known.flatMap((outer) =>
    outer.type === FIELD_TYPE.message ? (contract.messages.get(outer.typeName)?.fields ?? []).filter((f) => f.repeated).map((inner) => ({ outer, inner })) : [],
  );
  const nestedHuge =
    nestedTargets.length === 0
      ? huge
      : fc
          .tuple(base, fc.constantFrom(...nestedTargets), fc.constantFrom(1_001, 100_000, 1_000_000, 'fill' as const))
          .map(([b, { outer, inner }, count]) => {
            const element = minimalElement(inner);
            const n = count === 'fill' ? Math.floor((MAX_MESSAGE_BYTES - b.length - 16) / element.length) : count;
            const payload = repeatBytes(element, n, new Uint8Array());
            return concat([b, tag(outer.number, WIRE.len), varint(payload.length), payload]);
          })
          .map(family('huge-repeated'));
  const overLimit = fc
    .tuple(base, anyField)
    .map(([b, f]) => concat([b, lengthDelimited(f.number, new Uint8Array(MAX_MESSAGE_BYTES))]))
    .map(family('over-limit'));
  const deep = fc
    .tuple(base, unknownNumber, fc.constantFrom(10, 99, 100, 101, 1_000, 100_000), fc.constantFrom('groups', 'unbalanced-groups', 'nested'))
    .map(([b, n, depth, kind]) => {
      if (kind === 'nested') return concat([b, nestedLengthDelimited(n, depth)]);
      const open = repeatBytes(Uint8Array.from(tag(n, WIRE.startGroup)), depth, new Uint8Array());
      const close = kind === 'groups' ? repeatBytes(Uint8Array.from(tag(n, WIRE.endGroup)), depth, new Uint8Array()) : new Uint8Array();
      return concat([b, open, close]);
    })
    .map(family('deep-nesting'));
  const bitFlip = fc
    .tuple(base, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }))
    .filter(([b]) => b.length > 0)
    .map(([b, flips]) => {
      const out = Uint8Array.from(b);
      for (const f of flips) out[Math.floor(f / 8) % out.length]! ^= 1 << (f % 8);
      return out;
    })
    .map(family('bit-flip'));
  const merged = fc.tuple(base, base).map(([a, b]) => concat([a, b])).map(family('merged'));

  return fc.oneof(
    { weight: 40, arbitrary: invalidUtf8 },
    { weight: 30, arbitrary: unknown },
    { weight: 30, arbitrary: wrongWire },
    { weight: 30, arbitrary: truncated },
    { weight: 20, arbitrary: badLength },
    { weight: 10, arbitrary: badVarint },
    { weight: 6, arbitrary: huge },
    { weight: 4, arbitrary: nestedHuge },
    { weight: 20, arbitrary: deep },
    { weight: 30, arbitrary: bitFlip },
    { weight: 20, arbitrary: merged },
    // Rare: 16 MB of zeros to allocate and send.
    { weight: 1, arbitrary: overLimit },
  );
}

const randomBytes = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array()) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1_024, maxLength: 65_536 }) },
);

/** Every kind of case for one RPC: valid-shaped (when the RPC has a generator here), schema-driven, mutated, random. */
export function requestCases(contract: ContractSchema, path: string, ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  const typeName = contract.requestTypes.get(path);
  const message = typeName ? contract.messages.get(typeName) : undefined;
  if (!typeName || !message) throw new Error(`${path}: no request type in the contract`);
  const valid = VALID_SHAPED[path.split('/').pop()!]?.(ids);
  const known = [ids.self, ids.other, ...ids.sops, ...ids.encounters, ...ids.extractions].filter(Boolean);
  const schema = schemaMessage({ contract, ids: known, cache: new Map() }, typeName);
  const base = valid ? fc.oneof({ weight: 2, arbitrary: valid }, { weight: 1, arbitrary: schema }) : schema;
  return fc.oneof(
    ...(valid ? [{ weight: 40, arbitrary: valid.map((bytes): FuzzCase => ({ family: 'valid-shape', bytes })) }] : []),
    { weight: valid ? 15 : 45, arbitrary: schema.map((bytes): FuzzCase => ({ family: 'schema', bytes })) },
    { weight: 35, arbitrary: mutations(base, message, contract) },
    { weight: 10, arbitrary: randomBytes.map((bytes): FuzzCase => ({ family: 'random', bytes })) },
  );
}
