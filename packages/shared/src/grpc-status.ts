import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { Metadata, status } from '@grpc/grpc-js';
import {
  ConnectionException,
  DriverException,
  NotFoundError as OrmNotFoundError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { DomainError, MAX_REPORTED_VIOLATIONS, type FieldViolation } from './errors.js';

const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';
const DETAILS_KEY = 'grpc-status-details-bin';

/** A status received from a peer service, passed through unchanged by toGrpcStatus. */
export class PeerStatusError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
    readonly metadata: Metadata,
  ) {
    super(details);
  }
}

export interface GrpcStatus {
  code: status;
  details: string;
  metadata: Metadata;
  /** True when the cause is unexpected and must be logged (never sent). */
  internal: boolean;
}

const domainCodes: Record<DomainError['kind'], status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  not_found: status.NOT_FOUND,
  permission_denied: status.PERMISSION_DENIED,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
};

/** The one place where errors become gRPC statuses. */
export function toGrpcStatus(err: unknown): GrpcStatus {
  const metadata = new Metadata();
  if (err instanceof PeerStatusError) {
    if (err.code === status.UNKNOWN || err.code === status.INTERNAL) {
      return { code: status.INTERNAL, details: 'internal error', metadata, internal: true };
    }
    // grpc-js's own UNAVAILABLE messages name peer addresses: keep those in the log.
    if (err.code === status.UNAVAILABLE) {
      return { code: status.UNAVAILABLE, details: 'a dependency is unavailable', metadata, internal: true };
    }
    const details = err.metadata.get(DETAILS_KEY)[0];
    if (details) metadata.set(DETAILS_KEY, details);
    return { code: err.code, details: err.details, metadata, internal: false };
  }
  if (err instanceof DomainError) {
    if (err.kind === 'invalid_argument' && 'violations' in err) {
      metadata.set(DETAILS_KEY, encodeBadRequestStatus(err.message, err.violations as FieldViolation[]));
    }
    return { code: domainCodes[err.kind], details: err.message, metadata, internal: false };
  }
  if (err instanceof OrmNotFoundError) {
    return { code: status.NOT_FOUND, details: 'not found', metadata, internal: false };
  }
  if (err instanceof UniqueConstraintViolationException) {
    return { code: status.ALREADY_EXISTS, details: 'already exists', metadata, internal: false };
  }
  if (err instanceof ConnectionException || isConnectionRefused(err) || isPoolTimeout(err) || isConnectionLost(err)) {
    return { code: status.UNAVAILABLE, details: 'database unavailable', metadata, internal: true };
  }
  if (err instanceof DriverException && (err as { code?: string }).code === '57014') {
    return { code: status.DEADLINE_EXCEEDED, details: 'database statement timed out', metadata, internal: true };
  }
  if (err instanceof DriverException) {
    return { code: status.INTERNAL, details: 'internal error', metadata, internal: true };
  }
  return { code: status.INTERNAL, details: 'internal error', metadata, internal: true };
}

/** No connection could be checked out in time (knex/tarn). */
function isPoolTimeout(err: unknown): boolean {
  // MikroORM wraps knex's KnexTimeoutError in a DriverException that keeps its message.
  return err instanceof Error && (err.name === 'KnexTimeoutError' || /Timeout acquiring a connection/.test(err.message));
}

/**
 * node-postgres on a connection that died between or under statements (terminated by the server, a
 * restart): no SQLSTATE, only its message says so, also when MikroORM wraps it in a DriverException.
 */
function isConnectionLost(err: unknown): boolean {
  return err instanceof Error && /\bConnection terminated\b|\bis not queryable\b/.test(err.message);
}

/** Socket errors, and SQLSTATE classes 08 (connection), 57P0x (shutdown) and 53300 (too many connections), 3D000 (no database). */
function isConnectionRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '53300', '3D000'].includes(code) || /^08|^57P0/.test(code);
}

/** google.rpc.Status{code, message, details: [Any{BadRequest}]} in protobuf wire format. */
export function encodeBadRequestStatus(message: string, all: FieldViolation[]): Buffer {
  const violations = all.slice(0, MAX_REPORTED_VIOLATIONS);
  if (all.length > violations.length) violations.push({ field: '', description: `and ${all.length - violations.length} more violations` });
  const badRequest = new BinaryWriter();
  for (const v of violations) {
    badRequest.uint32(10).fork().uint32(10).string(v.field).uint32(18).string(v.description).join();
  }
  const any = new BinaryWriter().uint32(10).string(BAD_REQUEST_TYPE_URL).uint32(18).bytes(badRequest.finish());
  const statusMsg = new BinaryWriter()
    .uint32(8)
    .int32(status.INVALID_ARGUMENT)
    .uint32(18)
    .string(message)
    .uint32(26)
    .bytes(any.finish());
  return Buffer.from(statusMsg.finish());
}

/** Reads the field violations of a BadRequest detail; used by clients and tests. */
export function decodeFieldViolations(metadata: Metadata | undefined): FieldViolation[] {
  const raw = metadata?.get(DETAILS_KEY)[0];
  if (!(raw instanceof Buffer)) return [];
  const violations: FieldViolation[] = [];
  const statusReader = new BinaryReader(raw);
  while (statusReader.pos < statusReader.len) {
    const [field, wire] = statusReader.tag();
    if (field !== 3) {
      statusReader.skip(wire);
      continue;
    }
    const anyReader = new BinaryReader(statusReader.bytes());
    let typeUrl = '';
    let value: Uint8Array = new Uint8Array();
    while (anyReader.pos < anyReader.len) {
      const [f, w] = anyReader.tag();
      if (f === 1) typeUrl = anyReader.string();
      else if (f === 2) value = anyReader.bytes();
      else anyReader.skip(w);
    }
    if (typeUrl !== BAD_REQUEST_TYPE_URL) continue;
    const br = new BinaryReader(value);
    while (br.pos < br.len) {
      const [f, w] = br.tag();
      if (f !== 1) {
        br.skip(w);
        continue;
      }
      const vr = new BinaryReader(br.bytes());
      const v: FieldViolation = { field: '', description: '' };
      while (vr.pos < vr.len) {
        const [vf, vw] = vr.tag();
        if (vf === 1) v.field = vr.string();
        else if (vf === 2) v.description = vr.string();
        else vr.skip(vw);
      }
      violations.push(v);
    }
  }
  return violations;
}
