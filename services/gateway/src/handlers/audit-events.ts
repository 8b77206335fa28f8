import type { ListAuditEventsRequest, ListAuditEventsResponse } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { PermissionDeniedError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { isUuid } from '@clinote/shared/validation.js';
import type { GatewayDeps } from '../deps.js';
import { decodeAuditPageToken, encodeAuditPageToken, type AuditPageBinding } from '../domain/audit-page-token.js';

const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
/** google.protobuf.Timestamp's range, 0001-01-01 to 9999-12-31: beyond it (or past what a Date holds) the query failed. */
const TIMESTAMP_RANGE_MS = [-62_135_596_800_000, 253_402_300_799_999] as const;

/** One clinician's audit records, newest first; admins only. The listing is itself audited. */
export async function listAuditEvents(deps: GatewayDeps, req: ListAuditEventsRequest, ctx: CallContext): Promise<ListAuditEventsResponse> {
  if (!ctx.principal.admin) throw new PermissionDeniedError('audit records are for admins only');
  const violations: FieldViolation[] = [];
  if (!isUuid(req.userId)) violations.push({ field: 'user_id', description: 'required: the UUID of the clinician whose records to list' });
  if (req.pageSize < 0 || req.pageSize > MAX_PAGE) violations.push({ field: 'page_size', description: `must be within [0, ${MAX_PAGE}]` });
  for (const [field, time] of [['start_time', req.startTime], ['end_time', req.endTime]] as const) {
    const ms = time?.getTime();
    if (ms !== undefined && !(ms >= TIMESTAMP_RANGE_MS[0] && ms <= TIMESTAMP_RANGE_MS[1])) violations.push({ field, description: 'must be within 0001-01-01 and 9999-12-31' });
  }
  if (req.startTime && req.endTime && req.startTime >= req.endTime) violations.push({ field: 'end_time', description: 'must be after start_time' });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid audit query');

  const binding: AuditPageBinding = { callerId: ctx.principal.userId, subjectUserId: req.userId.toLowerCase(), from: req.startTime, to: req.endTime };
  const beforeId = decodeAuditPageToken(req.pageToken, binding);
  const pageSize = req.pageSize || DEFAULT_PAGE;
  const rows = await deps.audit.list({ subjectUserId: binding.subjectUserId, from: req.startTime, to: req.endTime, beforeId, limit: pageSize + 1 });
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    events: page.map((e) => ({ ...e, resourceId: e.resourceId ?? '' })),
    nextPageToken: rows.length > pageSize && last ? encodeAuditPageToken(last.id, binding) : '',
  };
}
