import { describe, expect, it } from 'vitest';
import { ValidationError } from '@clinote/shared/errors.js';
import { decodeAuditPageToken, encodeAuditPageToken } from './audit-page-token.js';

const binding = { callerId: '11111111-2222-4333-8444-555555555555', subjectUserId: '66666666-7777-4888-9999-aaaaaaaaaaaa' };

describe('audit page tokens', () => {
  it('round-trip for the caller and filter they were issued for', () => {
    expect(decodeAuditPageToken(encodeAuditPageToken(42, binding), binding)).toBe(42);
    expect(decodeAuditPageToken('', binding)).toBeUndefined();
  });

  it('are refused for another caller, another filter, or when forged', () => {
    const token = encodeAuditPageToken(42, binding);
    const refusals = [
      () => decodeAuditPageToken(token, { ...binding, callerId: binding.subjectUserId }),
      () => decodeAuditPageToken(token, { ...binding, subjectUserId: binding.callerId }),
      () => decodeAuditPageToken(token, { ...binding, from: new Date(0) }),
      () => decodeAuditPageToken(Buffer.from('41|forged').toString('base64url'), binding),
      () => decodeAuditPageToken('garbage', binding),
    ];
    for (const refuse of refusals) expect(refuse).toThrow(ValidationError);
  });
});
