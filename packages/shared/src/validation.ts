import { ValidationError, type FieldViolation } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Collects violations for id fields so a request reports all of them at once. */
export function uuidViolations(fields: Record<string, string>): FieldViolation[] {
  return Object.entries(fields)
    .filter(([, value]) => !isUuid(value))
    .map(([field]) => ({ field, description: 'must be a UUID' }));
}

export function requireUuids(fields: Record<string, string>): void {
  const violations = uuidViolations(fields);
  if (violations.length > 0) throw new ValidationError(violations);
}
