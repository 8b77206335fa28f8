import { describe, expect, it } from 'vitest';
import { ValidationError } from '@clinote/shared/errors.js';
import { decodePageToken, encodePageToken } from './encounter-mapping.js';

const OWNER = '6d16cfa3-2eac-46d7-87e2-8b1649f58ab5';
const cursor = { createdAt: new Date('2026-12-05T18:45:00.123Z'), id: '0e6f1c8a-3b5d-4f7e-9a2b-1c3d5e7f9a0b' };
/** A token as encodePageToken writes one, with its parts replaced. */
const forged = (iso: string, id: string) => {
  const [, , owner] = Buffer.from(encodePageToken(cursor, OWNER), 'base64url').toString('utf8').split('|');
  return Buffer.from(`${iso}|${id}|${owner}`).toString('base64url');
};

describe('page tokens', () => {
  it('round-trip for their owner only', () => {
    expect(decodePageToken(encodePageToken(cursor, OWNER), OWNER)).toEqual(cursor);
    expect(() => decodePageToken(encodePageToken(cursor, OWNER), cursor.id)).toThrow(ValidationError);
  });

  it('refuse a cursor the query could not read: an id that is no UUID, a time outside what Postgres holds', () => {
    for (const [iso, id] of [
      [cursor.createdAt.toISOString(), 'not-a-uuid'],
      [cursor.createdAt.toISOString(), `${cursor.id}\u0000`],
      ['+275760-09-13T00:00:00.000Z', cursor.id],
      ['0000-06-01T00:00:00.000Z', cursor.id],
      ['2026-12-05', cursor.id],
      ['garbage', cursor.id],
    ]) {
      expect(() => decodePageToken(forged(iso!, id!), OWNER)).toThrow(ValidationError);
    }
  });
});
