// Every text field of every RPC, public and internal, has a length bound and holds no NUL, and every
// repeated field a count bound, checked on the decoded message before any handler parses it. Names
// are the proto fields' (ts-proto camelCase); unknown text fields get the bound of a whole transcript.
import { ValidationError, type FieldViolation } from './errors.js';

/** A transcript, a note, a reference note, a rendered note: the longest text any field holds. */
export const MAX_TEXT_CHARS = 250_000;

/** Short fields: identifiers, names, labels, enum values, units, tokens, emails. */
const STRING_BOUNDS: Record<string, number> = {
  id: 64,
  userId: 64,
  sopId: 64,
  sopIds: 64,
  encounterId: 64,
  extractionId: 64,
  encounterIds: 64,
  key: 100,
  name: 200,
  title: 200,
  label: 200,
  unit: 50,
  codeSystem: 100,
  enumValues: 200,
  email: 320,
  displayName: 200,
  externalId: 200,
  idempotencyKey: 200,
  pageToken: 200,
  nextPageToken: 200,
  model: 200,
  embeddingModel: 200,
  provider: 200,
  phase: 100,
  traceId: 64,
  source: 64,
  instructions: 10_000,
};

/** Repeated fields: how many elements at most. */
const COUNT_BOUNDS: Record<string, number> = {
  sopIds: 50,
  sops: 50,
  encounters: 500,
  texts: 500,
  sections: 100,
  fields: 200,
  enumValues: 200,
  items: 500,
  evidence: 500,
  examples: 100,
  results: 50,
  evaluations: 50,
  context: 100,
  choices: 100,
  phaseTimings: 20,
  usage: 100,
};
/** Vectors (embedding values): the largest embedding model's dimension, with room. */
const MAX_VECTOR = 16_384;
const DEFAULT_COUNT = 1_000;
const MAX_DEPTH = 16;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Throws ValidationError listing every out-of-bound field (at most 100 reported). */
export function checkRequestBounds(request: unknown): void {
  const violations: FieldViolation[] = [];
  const add = (field: string, description: string) => {
    violations.push({ field, description });
  };
  const visit = (value: unknown, name: string, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) return add(path, 'nested too deeply');
    if (typeof value === 'string') {
      const bound = STRING_BOUNDS[name] ?? MAX_TEXT_CHARS;
      if (value.length > bound) add(path, `at most ${bound} characters`);
      // Postgres text and jsonb cannot hold U+0000: refused here rather than failing in a query.
      else if (value.includes('\u0000')) add(path, 'must not contain NUL (U+0000) characters');
    } else if (Array.isArray(value)) {
      const numeric = value.length > 0 && typeof value[0] === 'number';
      const bound = numeric ? MAX_VECTOR : (COUNT_BOUNDS[name] ?? DEFAULT_COUNT);
      if (value.length > bound) return add(path, `at most ${bound} elements`);
      if (!numeric) value.forEach((item, i) => visit(item, name, `${path}[${i}]`, depth + 1));
    } else if (value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
      for (const [key, child] of Object.entries(value)) visit(child, key, path ? `${path}.${snake(key)}` : snake(key), depth + 1);
    }
  };
  visit(request, '', '', 0);
  // The status carries the first MAX_REPORTED_VIOLATIONS and a count of the rest (grpc-status.ts).
  if (violations.length > 0) throw new ValidationError(violations, 'request exceeds a bound');
}
