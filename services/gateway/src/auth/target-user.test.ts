import { describe, expect, it } from 'vitest';
import { PermissionDeniedError, ValidationError } from '@clinote/shared/errors.js';
import { erasureTarget } from './target-user.js';

const SELF = '11111111-2222-4333-8444-555555555555';
const OTHER = '66666666-7777-4888-9999-aaaaaaaaaaaa';

describe('erasureTarget', () => {
  it('is the caller for an empty or their own user id', () => {
    const ctx = { principal: { userId: SELF, admin: false } };
    expect(erasureTarget(ctx, '')).toEqual(ctx.principal);
    expect(erasureTarget(ctx, SELF.toUpperCase())).toEqual(ctx.principal);
  });

  it("refuses another clinician's id to a non-admin, before looking at it", () => {
    expect(() => erasureTarget({ principal: { userId: SELF, admin: false } }, OTHER)).toThrow(PermissionDeniedError);
    expect(() => erasureTarget({ principal: { userId: SELF, admin: false } }, 'not-a-uuid')).toThrow(PermissionDeniedError);
  });

  it('acts for the named user, as an admin, when an admin asks', () => {
    expect(erasureTarget({ principal: { userId: SELF, admin: true } }, OTHER.toUpperCase())).toEqual({ userId: OTHER, admin: true });
    expect(() => erasureTarget({ principal: { userId: SELF, admin: true } }, 'not-a-uuid')).toThrow(ValidationError);
  });
});
