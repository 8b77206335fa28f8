import { status } from '@grpc/grpc-js';
import { DriverException } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { toGrpcStatus } from './grpc-status.js';

/** As MikroORM wraps a driver error: its message prefixed by the statement, the SQLSTATE (if any) kept. */
function driverError(message: string, code?: string): DriverException {
  return new DriverException(Object.assign(new Error(message), code ? { code } : {}));
}

describe('toGrpcStatus: the database going away', () => {
  it.each([
    ['the server terminating a session (57P01)', driverError('select 1 - terminating connection due to administrator command', '57P01')],
    ['a connection that ended under BEGIN', driverError('BEGIN; - Connection terminated unexpectedly')],
    ['a statement on a connection that had died', driverError('COMMIT; - Client has encountered a connection error and is not queryable')],
    ["node-postgres's own error, unwrapped", new Error('Client has encountered a connection error and is not queryable')],
    ['a connection closed while the pool shut down', new Error('Client was closed and is not queryable')],
  ])('%s is UNAVAILABLE, the cause logged only', (_, err) => {
    const s = toGrpcStatus(err);
    expect(s.code).toBe(status.UNAVAILABLE);
    expect(s.details).toBe('database unavailable');
    expect(s.internal).toBe(true);
  });

  it('keeps other driver errors INTERNAL', () => {
    expect(toGrpcStatus(driverError('select nope - column "nope" does not exist', '42703')).code).toBe(status.INTERNAL);
    expect(toGrpcStatus(driverError('Transaction query already complete')).code).toBe(status.INTERNAL);
  });
});
