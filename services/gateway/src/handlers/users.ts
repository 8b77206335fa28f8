import { randomUUID } from 'node:crypto';
import type {
  CreateUserRequest,
  CreateUserResponse,
  GetUserRequest,
  GetUserResponse,
  User,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { AlreadyExistsError, NotFoundError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { UserSchema, type UserEntity } from '../entities/user.js';
import type { GatewayDeps } from '../deps.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function userFromEntity(u: UserEntity): User {
  return { id: u.id, email: u.email, displayName: u.displayName, createdAt: u.createdAt };
}

export async function createUser(deps: GatewayDeps, req: CreateUserRequest, _ctx: CallContext): Promise<CreateUserResponse> {
  const violations: FieldViolation[] = [];
  if (!EMAIL.test(req.email) || req.email.length > 320) violations.push({ field: 'email', description: 'must be an email address' });
  if (!req.displayName.trim() || req.displayName.length > 200) {
    violations.push({ field: 'display_name', description: 'must be 1-200 characters' });
  }
  if (violations.length > 0) throw new ValidationError(violations, 'invalid user');
  const user = deps.orm.em.create(UserSchema, {
    id: randomUUID(),
    email: req.email.trim(),
    displayName: req.displayName.trim(),
    createdAt: new Date(),
  });
  try {
    await deps.orm.em.flush();
  } catch (err: unknown) {
    if (err instanceof UniqueConstraintViolationException) throw new AlreadyExistsError('a user with this email exists');
    throw err;
  }
  return { user: userFromEntity(user) };
}

/** phase_1_user_lookup and GetUser share this. */
export async function findUser(deps: GatewayDeps, userId: string): Promise<User> {
  requireUuids({ user_id: userId });
  const user = await deps.orm.em.findOne(UserSchema, { id: userId });
  if (!user) throw new NotFoundError('user', userId);
  return userFromEntity(user);
}

export async function getUser(deps: GatewayDeps, req: GetUserRequest, _ctx: CallContext): Promise<GetUserResponse> {
  return { user: await findUser(deps, req.userId) };
}
