import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { checkRequestBounds, MAX_TEXT_CHARS } from './request-bounds.js';

function violations(request: unknown) {
  try {
    checkRequestBounds(request);
    return [];
  } catch (err: unknown) {
    if (err instanceof ValidationError) return err.violations;
    throw err;
  }
}

describe('checkRequestBounds', () => {
  it('accepts a normal request', () => {
    expect(violations({ userId: '', transcript: 'x'.repeat(200_000), sopIds: ['a'], referenceNote: '' })).toEqual([]);
  });

  it('names every short field that is too long, by its proto path', () => {
    const request = {
      email: `${'a'.repeat(1_000_000)}@x.org`,
      sections: [{ key: 'k', title: 't'.repeat(201), fields: [{ label: 'l', enumValues: ['ok', 'v'.repeat(201)], unit: 'u'.repeat(51) }] }],
    };
    expect(violations(request).map((v) => v.field)).toEqual([
      'email',
      'sections[0].title',
      'sections[0].fields[0].enum_values[1]',
      'sections[0].fields[0].unit',
    ]);
  });

  it('bounds long texts and the number of elements of repeated fields', () => {
    expect(violations({ transcript: 'x'.repeat(MAX_TEXT_CHARS + 1) }).map((v) => v.field)).toEqual(['transcript']);
    expect(violations({ sopIds: Array.from({ length: 51 }, () => 'id') })).toEqual([{ field: 'sop_ids', description: 'at most 50 elements' }]);
    expect(violations({ embedding: new Array(16_385).fill(0.5) }).map((v) => v.field)).toEqual(['embedding']);
    expect(violations({ embedding: new Array(1_536).fill(0.5) })).toEqual([]);
  });

  it('refuses NUL characters in any text, which Postgres cannot store', () => {
    expect(violations({ idempotencyKey: 'a\u0000b', sections: [{ fields: [{ key: '\u0000' }] }], transcript: 'ok' })).toEqual([
      { field: 'idempotency_key', description: 'must not contain NUL (U+0000) characters' },
      { field: 'sections[0].fields[0].key', description: 'must not contain NUL (U+0000) characters' },
    ]);
  });
});
