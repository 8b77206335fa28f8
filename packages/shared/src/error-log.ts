import { DriverException } from '@mikro-orm/core';
import { DomainError } from './errors.js';

/**
 * What of an error may be logged. Driver errors carry SQL with parameters and arbitrary errors may
 * quote their input, both possibly patient text: only their type, SQL state and stack frames are kept.
 * Our own DomainError messages are written never to hold patient text.
 */
export function loggableError(err: unknown): Record<string, unknown> {
  if (err instanceof DomainError) return { type: err.name, message: err.message };
  const frames = err instanceof Error ? err.stack?.split('\n').filter((l) => l.trimStart().startsWith('at ')).slice(0, 8) : undefined;
  if (err instanceof DriverException) {
    const e = err as DriverException & { table?: string; constraint?: string };
    return { type: err.name, sql_state: e.code, table: e.table, constraint: e.constraint, frames };
  }
  if (err instanceof Error) return { type: err.name, code: (err as { code?: unknown }).code, frames };
  return { type: typeof err };
}
