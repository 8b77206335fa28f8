// grpc-js answers a request it cannot decode with INTERNAL ("Error deserializing request"). The
// client sent bad bytes: that is INVALID_ARGUMENT. Every method's deserializer is wrapped so a
// decode failure becomes a marker the call adapter answers precisely, without reaching a handler;
// so does a request with more fields than any real one, before decoding allocates them.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { DomainError } from './errors.js';
import { exceedsFieldBudget, MAX_WIRE_FIELDS } from './wire-budget.js';

export class MalformedRequestError extends DomainError {
  readonly kind = 'invalid_argument' as const;
}

/** What a wrapped deserializer returns for bytes that are not a message of its type. */
export class MalformedRequest {
  constructor(
    readonly typeName: string,
    private readonly reason = `request is not a valid ${typeName}`,
  ) {}

  error(): MalformedRequestError {
    return new MalformedRequestError(this.reason);
  }
}

/** `/clinote.gateway.v1.GatewayService/Extract` → `clinote.gateway.v1.ExtractRequest` (Buf's request naming rule). */
export function requestTypeName(path: string): string {
  const [, service = '', method = ''] = path.split('/');
  const pkg = service.slice(0, service.lastIndexOf('.'));
  return `${pkg}.${method}Request`;
}

export function tolerantDefinition(definition: ServiceDefinition): ServiceDefinition {
  const wrapped: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const typeName = requestTypeName(method.path);
    const decode = method.requestDeserialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        if (exceedsFieldBudget(bytes)) return new MalformedRequest(typeName, `request exceeds a bound: more than ${MAX_WIRE_FIELDS} fields`);
        try {
          return decode(bytes);
        } catch {
          return new MalformedRequest(typeName);
        }
      },
    };
  }
  return wrapped;
}
