import type {
  CreateUserRequest,
  CreateUserResponse,
  GetUserRequest,
  GetUserResponse,
  User,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { NotFoundError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { actingUserId } from '../auth/acting-user.js';
import type { UserEntity } from '../entities/user.js';
import type { GatewayDeps } from '../deps.js';

const MAX_EMAIL = 320;
const MAX_DISPLAY_NAME = 200;

function userFromEntity(u: UserEntity): User {
  return { id: u.id, email: u.email ?? '', displayName: u.displayName ?? '', createdAt: u.createdAt };
}

/** local@domain.tld without a regex: one @, no spaces, a dot inside the domain. Length checked first. */
export function isEmailAddress(email: string): boolean {
  if (email.length === 0 || email.length > MAX_EMAIL || /\s/.test(email)) return false;
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@')) return false;
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  return dot > 0 && dot < domain.length - 1;
}

/**
 * Sets the caller's own profile. The clinician already exists (their first authenticated call created
 * them), so this never reveals whether an email is in use by anyone.
 */
export async function createUser(deps: GatewayDeps, req: CreateUserRequest, ctx: CallContext): Promise<CreateUserResponse> {
  const violations: FieldViolation[] = [];
  const email = req.email.trim();
  const displayName = req.displayName.trim();
  if (!isEmailAddress(email)) violations.push({ field: 'email', description: `must be an email address of at most ${MAX_EMAIL} characters` });
  if (!displayName || req.displayName.length > MAX_DISPLAY_NAME) {
    violations.push({ field: 'display_name', description: `must be 1-${MAX_DISPLAY_NAME} characters` });
  }
  if (violations.length > 0) throw new ValidationError(violations, 'invalid user');
  const user = await deps.users.updateProfile(ctx.principal.userId, { email, displayName });
  if (!user) throw new NotFoundError('user', ctx.principal.userId);
  return { user: userFromEntity(user) };
}

/** The caller's own record (an empty user_id means the caller). */
export async function getUser(deps: GatewayDeps, req: GetUserRequest, ctx: CallContext): Promise<GetUserResponse> {
  const userId = actingUserId(ctx, req.userId);
  const user = await deps.users.findById(userId);
  if (!user) throw new NotFoundError('user', userId);
  return { user: userFromEntity(user) };
}
