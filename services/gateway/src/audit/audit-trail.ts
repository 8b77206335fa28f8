// The audit trail as one wrapper around every bound gateway handler: after the handler ran, one
// record of who called, whose data, which RPC and resource, the outcome and the trace id, written
// before the answer leaves. Never content: ids that are not UUIDs are recorded as none.
//
// Fail closed: when the record cannot be written the call answers UNAVAILABLE, so patient data is
// never read unaudited. A write the handler already committed stays (it is in its own service's
// transaction), and its caller sees UNAVAILABLE with the failure in the log; the gateway's per-call
// user lookup runs against the same database first, so a database that is down refuses the call
// before any write.
//
// Unauthenticated calls are not recorded: they have no actor, reach no handler and no data, and
// recording them would let anyone without credentials grow an append-only table.
import { status } from '@grpc/grpc-js';
import { loggableError } from '@clinote/shared/error-log.js';
import { UnavailableError } from '@clinote/shared/errors.js';
import { handlerBinder, streamingHandlerBinder, type CallContext } from '@clinote/shared/grpc-server.js';
import { toGrpcStatus } from '@clinote/shared/grpc-status.js';
import { activeTraceId } from '@clinote/shared/tracing.js';
import { isUuid } from '@clinote/shared/validation.js';
import type { AuditEventRecord } from '../repositories/audit-events.js';
import { AUDITED_RPCS, type AuditSpec, type GatewayRpc, type RequestOf, type ResponseOf } from './audited-rpcs.js';

export interface AuditLog {
  append(event: AuditEventRecord): Promise<void>;
}

type Handler<D, Req, Res> = (deps: D, req: Req, ctx: CallContext) => Promise<Res>;

/** The handler, recording each of its calls (success or failure) in deps.audit before answering. */
export function audited<D extends { audit: AuditLog }, Req, Res>(
  rpc: string,
  spec: AuditSpec<Req, Res>,
  handler: Handler<D, Req, Res>,
): Handler<D, Req, Res> {
  return async (deps, req, ctx) => {
    let response: Res | undefined;
    let failure: { error: unknown } | undefined;
    try {
      response = await handler(deps, req, ctx);
    } catch (error: unknown) {
      failure = { error };
    }
    await recordOrRefuse(deps.audit, ctx, auditRecord(rpc, spec, req, response, ctx, outcomeOf(failure)));
    if (failure) throw failure.error;
    return response as Res;
  };
}

type StreamHandler<D, Req, Res> = (deps: D, req: Req, ctx: CallContext) => AsyncIterable<Res>;

/**
 * A streaming handler, recorded as `audited` records a unary one once its stream ended. Messages
 * leave as they come, except those `spec.final` names: they leave after the record (fail closed).
 */
export function auditedStream<D extends { audit: AuditLog }, Req, Res>(
  rpc: string,
  spec: AuditSpec<Req, Res>,
  handler: StreamHandler<D, Req, Res>,
): StreamHandler<D, Req, Res> {
  return async function* (deps, req, ctx) {
    const held: Res[] = [];
    let failure: { error: unknown } | undefined;
    try {
      for await (const message of handler(deps, req, ctx)) {
        if (spec.final?.(message)) held.push(message);
        else yield message;
      }
    } catch (error: unknown) {
      failure = { error };
    }
    await recordOrRefuse(deps.audit, ctx, auditRecord(rpc, spec, req, held.at(-1), ctx, outcomeOf(failure)));
    if (failure) throw failure.error;
    yield* held;
  };
}

function outcomeOf(failure: { error: unknown } | undefined): string {
  return failure ? status[toGrpcStatus(failure.error).code] : 'OK';
}

/** Fail closed: a call whose record cannot be written answers UNAVAILABLE. */
async function recordOrRefuse(audit: AuditLog, ctx: CallContext, record: AuditEventRecord): Promise<void> {
  try {
    await audit.append(record);
  } catch (err: unknown) {
    ctx.logger.error({ error: loggableError(err), outcome: record.outcome }, 'audit record not written: the call is refused');
    throw new UnavailableError('audit trail unavailable');
  }
}

export function auditRecord<Req, Res>(
  rpc: string,
  spec: AuditSpec<Req, Res>,
  req: Req,
  res: Res | undefined,
  ctx: Pick<CallContext, 'principal'>,
  outcome: string,
): AuditEventRecord {
  const actor = ctx.principal.userId;
  // A request naming another user concerns that user's data, even when it is refused.
  const subject = uuidOrNull(spec.namedUser?.(req)) ?? actor;
  const resourceId = uuidOrNull(spec.resourceId?.(req, res)) ?? (spec.resourceType === 'user' ? subject : null);
  return {
    actorUserId: actor,
    subjectUserId: subject,
    rpc,
    resourceType: spec.resourceType,
    resourceId,
    outcome,
    traceId: activeTraceId(),
  };
}

function uuidOrNull(id: string | undefined): string | null {
  return id && isUuid(id) ? id.toLowerCase() : null;
}

type Binder<D> = ReturnType<typeof handlerBinder<D>>;

/** handlerBinder's bind for the gateway, every RPC audited as AUDITED_RPCS says. */
export function auditedBinder<D extends { audit: AuditLog }>(bind: Binder<D>) {
  return <P extends Capitalize<GatewayRpc>>(method: P, handler: Handler<D, RequestOf<Uncapitalize<P>>, ResponseOf<Uncapitalize<P>>>) => {
    const key = (method.charAt(0).toLowerCase() + method.slice(1)) as Uncapitalize<P>;
    const spec = AUDITED_RPCS[key] as unknown as AuditSpec<RequestOf<Uncapitalize<P>>, ResponseOf<Uncapitalize<P>>>;
    return bind(method, audited(method, spec, handler));
  };
}

type StreamBinder<D> = ReturnType<typeof streamingHandlerBinder<D>>;

/** streamingHandlerBinder's bind for the gateway's streaming RPCs, audited as AUDITED_RPCS says. */
export function auditedStreamBinder<D extends { audit: AuditLog }>(bind: StreamBinder<D>) {
  return <P extends Capitalize<GatewayRpc>>(method: P, handler: StreamHandler<D, RequestOf<Uncapitalize<P>>, ResponseOf<Uncapitalize<P>>>) => {
    const key = (method.charAt(0).toLowerCase() + method.slice(1)) as Uncapitalize<P>;
    const spec = AUDITED_RPCS[key] as unknown as AuditSpec<RequestOf<Uncapitalize<P>>, ResponseOf<Uncapitalize<P>>>;
    return bind(method, auditedStream(method, spec, handler));
  };
}
