// Who calls the gateway: a verified bearer token's subject, provisioned as a clinician on first
// sight, and write rates bounded per clinician.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { LRUCache } from 'lru-cache';
import type { Principal } from '@clinote/shared/auth/principal.js';
import { FailedPreconditionError, ResourceExhaustedError } from '@clinote/shared/errors.js';
import type { Authenticator } from '@clinote/shared/grpc-server.js';
import type { Logger } from '@clinote/shared/logger.js';
import type { UserRepository } from '../repositories/users.js';
import type { AccessTokenVerifier } from './access-token.js';

/** RPCs that write: bounded per clinician, so no token can flood the system. */
const WRITE_METHODS = new Set([
  'CreateUser',
  'CreateSop',
  'UpdateSop',
  'DeactivateSop',
  'ImportEncounters',
  'Extract',
  'DeleteEncounter',
  'DeleteExtraction',
  'DeleteUser',
]);
/** Profile writes, the one place an email is stored, are rarer still. */
const PROFILE_WRITES_PER_MINUTE = 30;

export interface GatewayAuthOptions {
  verifier: AccessTokenVerifier;
  users: UserRepository;
  logger: Logger;
  adminSubjects: string[];
  writeBurst: number;
  writesPerSecond: number;
  provisionsPerMinute: number;
  /**
   * How long a clinician's erasure state read from the database is trusted (ms; 0: read on every
   * call). An erasure marked through another replica is seen within this bound; the saga waits it out
   * before erasing anything (see erasureGraceMs).
   */
  userStateTtlMs: number;
}

type ErasureState = 'active' | 'erasing' | 'absent';

export class GatewayAuth {
  /** subject → internal user id: the user row is read once, not on every call. */
  private readonly userIds = new LRUCache<string, string>({ max: 100_000 });
  private readonly admins: Set<string>;
  private readonly writes: RateLimiterMemory;
  private readonly profileWrites = new RateLimiterMemory({ points: PROFILE_WRITES_PER_MINUTE, duration: 60 });
  private readonly provisions: RateLimiterMemory;
  /** user id → erasure state, for userStateTtlMs; concurrent calls of one clinician share one read. */
  private readonly states: LRUCache<string, ErasureState> | undefined;

  constructor(private readonly options: GatewayAuthOptions) {
    this.admins = new Set(options.adminSubjects);
    this.states =
      options.userStateTtlMs > 0
        ? new LRUCache<string, ErasureState>({ max: 100_000, ttl: options.userStateTtlMs, fetchMethod: (id) => options.users.erasureState(id) })
        : undefined;
    this.writes = new RateLimiterMemory({
      points: options.writeBurst,
      duration: Math.max(1, Math.ceil(options.writeBurst / options.writesPerSecond)),
    });
    this.provisions = new RateLimiterMemory({ points: options.provisionsPerMinute, duration: 60 });
  }

  readonly authenticate: Authenticator = async (call) => {
    const authorization = call.metadata.get('authorization')[0];
    const { subject } = await this.options.verifier.verify(typeof authorization === 'string' ? authorization : undefined);
    const clinician = await this.clinicianOf(subject);
    // Being erased: nothing but DeleteUser (which finishes the erasure) until it is done.
    if (clinician.erasing && call.method !== 'DeleteUser') {
      throw new FailedPreconditionError("this clinician's data is being erased: DeleteUser completes it");
    }
    const principal: Principal = { userId: clinician.id, admin: this.admins.has(subject) };
    if (WRITE_METHODS.has(call.method)) {
      await consume(this.writes, principal.userId, 'too many writes for this clinician: retry later');
      if (call.method === 'CreateUser') await consume(this.profileWrites, principal.userId, 'too many profile changes: retry later');
    }
    return principal;
  };

  /** After a clinician is erased, their next call provisions a new, empty record. */
  forget(userId: string): void {
    for (const [subject, id] of this.userIds.entries()) if (id === userId) this.userIds.delete(subject);
    this.states?.delete(userId);
  }

  /** This replica marked the clinician erasing: its own calls see it at once, other replicas within the TTL. */
  noteErasing(userId: string): void {
    this.states?.set(userId, 'erasing');
  }

  /** How long an erasure must wait after marking before every replica refuses the clinician's calls. */
  get erasureGraceMs(): number {
    return this.options.userStateTtlMs;
  }

  private async erasureState(userId: string): Promise<ErasureState> {
    if (!this.states) return this.options.users.erasureState(userId);
    // One read shared by concurrent calls: it acts for the clinician without any one caller's deadline or cancellation.
    return (await this.states.fetch(userId)) ?? this.options.users.erasureState(userId);
  }

  /** The subject's clinician as the database has them now; one erased meanwhile (on any replica) is provisioned anew. */
  private async clinicianOf(subject: string): Promise<{ id: string; erasing: boolean }> {
    const known = this.userIds.get(subject);
    if (known) {
      const state = await this.erasureState(known);
      if (state !== 'absent') return { id: known, erasing: state === 'erasing' };
      this.userIds.delete(subject);
    }
    const { user, created } = await this.options.users.provision(subject, () =>
      consume(this.provisions, 'all', 'too many new clinicians: retry later'),
    );
    if (created) this.options.logger.info({ user_id: user.id }, 'clinician provisioned');
    this.userIds.set(subject, user.id);
    return { id: user.id, erasing: user.erasingSince !== null };
  }
}

async function consume(limiter: RateLimiterMemory, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err: unknown) {
    if (err instanceof RateLimiterRes) throw new ResourceExhaustedError(message);
    throw err;
  }
}
