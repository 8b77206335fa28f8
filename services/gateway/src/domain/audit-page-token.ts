import { createHash } from 'node:crypto';
import { ValidationError } from '@clinote/shared/errors.js';

/** What a page token is bound to: the caller and the filter it was issued for. */
export interface AuditPageBinding {
  callerId: string;
  subjectUserId: string;
  from?: Date | undefined;
  to?: Date | undefined;
}

function bindingTag(b: AuditPageBinding): string {
  return createHash('sha256')
    .update(`clinote-audit-page:${b.callerId}|${b.subjectUserId}|${b.from?.toISOString() ?? ''}|${b.to?.toISOString() ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
}

/** The last id of a page, for the next; only the same caller with the same filter may use it. */
export function encodeAuditPageToken(lastId: number, binding: AuditPageBinding): string {
  return Buffer.from(`${lastId}|${bindingTag(binding)}`).toString('base64url');
}

export function decodeAuditPageToken(token: string, binding: AuditPageBinding): number | undefined {
  if (!token) return undefined;
  const [id, tag] = Buffer.from(token, 'base64url').toString('utf8').split('|');
  const lastId = Number(id);
  if (!Number.isSafeInteger(lastId) || lastId <= 0 || tag !== bindingTag(binding)) {
    throw ValidationError.field('page_token', 'not a page token of this caller and filter');
  }
  return lastId;
}
