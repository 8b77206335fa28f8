// The caller's identity inside the mesh: a short-lived ES256 token the gateway signs for each
// clinician, which every internal handler requires and trusts instead of any user_id in its request.
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { UnauthenticatedError } from '../errors.js';
import { isUuid } from '../validation.js';
import { loadJwks, loadSigningKey, type SigningKey } from './keys.js';
import type { Principal } from './principal.js';

const ISSUER = 'clinote-gateway';
const AUDIENCE = 'clinote-internal';
/** Lifetime of one token; a signed token is reused while it has more than half of it left. */
const LIFETIME_S = 120;

export class IdentitySigner {
  private readonly cache = new LRUCache<string, { token: string; renewAtMs: number }>({ max: 10_000 });

  private constructor(private readonly key: SigningKey) {}

  static async fromFile(privateFile: string): Promise<IdentitySigner> {
    return new IdentitySigner(await loadSigningKey(privateFile));
  }

  async tokenFor(principal: Principal): Promise<string> {
    const cacheKey = `${principal.userId}:${principal.admin ? 'a' : 'u'}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.renewAtMs > Date.now()) return cached.token;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ adm: principal.admin })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'clinote-identity+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(principal.userId)
      .setIssuedAt(now)
      .setExpirationTime(now + LIFETIME_S)
      .sign(this.key.key);
    this.cache.set(cacheKey, { token, renewAtMs: (now + LIFETIME_S / 2) * 1000 });
    return token;
  }
}


export class IdentityVerifier {
  /** Verified tokens until they expire: an extraction's several calls verify once. */
  private readonly verified = new LRUCache<string, { principal: Principal; expMs: number }>({ max: 10_000 });
  private readonly keys: ReturnType<typeof createLocalJWKSet>;

  constructor(jwksFile: string) {
    this.keys = createLocalJWKSet(loadJwks(jwksFile));
  }

  async verify(token: string | undefined): Promise<Principal> {
    if (!token || token.length > 4096) throw new UnauthenticatedError();
    const cached = this.verified.get(token);
    if (cached && cached.expMs > Date.now()) return cached.principal;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        typ: 'clinote-identity+jwt',
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 5,
        maxTokenAge: LIFETIME_S + 5,
      });
      if (!payload.sub || !isUuid(payload.sub)) throw new UnauthenticatedError();
      const principal: Principal = { userId: payload.sub.toLowerCase(), admin: payload.adm === true };
      this.verified.set(token, { principal, expMs: (payload.exp ?? 0) * 1000 });
      return principal;
    } catch {
      throw new UnauthenticatedError();
    }
  }
}
