// Typed domain errors. Handlers and domain code throw these; one function (toGrpcStatus in grpc-status.ts)
// maps them to gRPC status codes. Messages must never contain patient text.

export interface FieldViolation {
  /** Path of the offending request field, e.g. `sop_ids[1]` or `sections[0].fields[2].key`. */
  field: string;
  description: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind:
    | 'invalid_argument'
    | 'unauthenticated'
    | 'not_found'
    | 'permission_denied'
    | 'already_exists'
    | 'failed_precondition'
    | 'resource_exhausted'
    | 'unavailable'
    | 'deadline_exceeded'
    | 'cancelled';
}

/** At most this many field violations are sent (and a count of the rest), so the status trailer always fits. */
export const MAX_REPORTED_VIOLATIONS = 100;

export class ValidationError extends DomainError {
  readonly kind = 'invalid_argument' as const;
  constructor(readonly violations: FieldViolation[], message = 'invalid request') {
    // The message repeats the first few; the BadRequest detail carries up to MAX_REPORTED_VIOLATIONS.
    const shown = violations.slice(0, 10).map((v) => `${v.field}: ${v.description}`);
    if (violations.length > shown.length) shown.push(`and ${violations.length - shown.length} more`);
    super(`${message}: ${shown.join('; ')}`);
  }
  static field(field: string, description: string): ValidationError {
    return new ValidationError([{ field, description }]);
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
  constructor(readonly resource: string, readonly id: string) {
    super(`${resource} ${id} not found`);
  }
}

/** No valid credentials. The message is the same whatever was wrong, so it teaches an attacker nothing. */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated' as const;
  constructor() {
    super('missing or invalid credentials');
  }
}

export class PermissionDeniedError extends DomainError {
  readonly kind = 'permission_denied' as const;
}

export class AlreadyExistsError extends DomainError {
  readonly kind = 'already_exists' as const;
}

export class FailedPreconditionError extends DomainError {
  readonly kind = 'failed_precondition' as const;
}

export class ResourceExhaustedError extends DomainError {
  readonly kind = 'resource_exhausted' as const;
}

/** A dependency (database, peer, LLM provider) is down or refused; the caller may retry. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
}

export class DeadlineExceededError extends DomainError {
  readonly kind = 'deadline_exceeded' as const;
}

export class CancelledError extends DomainError {
  readonly kind = 'cancelled' as const;
}

/** Throws CancelledError / DeadlineExceededError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  if (reason instanceof DomainError) throw reason;
  throw new CancelledError('call cancelled');
}
