import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '@clinote/shared/errors.js';
import { createLogger } from '@clinote/shared/logger.js';
import type { UserRepository } from '../repositories/users.js';
import type { AccessTokenVerifier } from './access-token.js';
import { GatewayAuth } from './authenticator.js';

const USER_ID = '00000000-0000-4000-8000-000000000001';

/** The repository's two reads the authenticator makes, counted; the state is what the database would say. */
function usersWith(state: { value: 'active' | 'erasing' | 'absent' }) {
  const reads = { erasureState: 0 };
  const users = {
    provision: async () => ({ user: { id: USER_ID, erasingSince: null }, created: false }),
    erasureState: async () => {
      reads.erasureState++;
      await Promise.resolve();
      return state.value;
    },
  } as unknown as UserRepository;
  return { users, reads };
}

function authWith(users: UserRepository, userStateTtlMs: number) {
  const verifier = { verify: async () => ({ subject: 'sub-1' }) } as unknown as AccessTokenVerifier;
  return new GatewayAuth({
    verifier,
    users,
    logger: createLogger('test', 'silent'),
    adminSubjects: [],
    writeBurst: 1000,
    writesPerSecond: 1000,
    provisionsPerMinute: 1000,
    userStateTtlMs,
  });
}

const call = (method = 'GetUser') => ({ method, metadata: new Metadata(), authContext: {} });

describe('GatewayAuth erasure state', () => {
  it('reads it once for concurrent calls within the bound, and again after it', async () => {
    const state = { value: 'active' as const };
    const { users, reads } = usersWith(state);
    const auth = authWith(users, 20);
    await auth.authenticate(call()); // provisions, learns the user id
    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(call())));
    expect(reads.erasureState).toBe(1);
    // The bound passing (not a wait for readiness).
    await new Promise((resolve) => setTimeout(resolve, 40));
    await auth.authenticate(call());
    expect(reads.erasureState).toBe(2);
  });

  it('refuses a clinician this replica marked erasing at once, and one marked elsewhere within the bound', async () => {
    const state: { value: 'active' | 'erasing' | 'absent' } = { value: 'active' };
    const { users } = usersWith(state);
    const here = authWith(users, 60_000);
    await here.authenticate(call());
    await here.authenticate(call());
    here.noteErasing(USER_ID);
    await expect(here.authenticate(call('Extract'))).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(here.authenticate(call('DeleteUser'))).resolves.toMatchObject({ userId: USER_ID });

    const elsewhere = authWith(usersWith(state).users, 0);
    state.value = 'active';
    await elsewhere.authenticate(call());
    state.value = 'erasing';
    await expect(elsewhere.authenticate(call('Extract'))).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('waits as long as it trusts a state before an erasure may proceed', () => {
    expect(authWith(usersWith({ value: 'active' }).users, 750).erasureGraceMs).toBe(750);
  });
});
