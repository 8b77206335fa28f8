// Verifies the public bearer tokens: signature against the identity provider's JWKS, issuer,
// audience, expiry with bounded skew, asymmetric algorithms only. Every failure is the same
// UNAUTHENTICATED, whatever was wrong.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { loadJwks } from '@clinote/shared/auth/keys.js';
import { UnauthenticatedError } from '@clinote/shared/errors.js';

export interface AccessTokenSettings {
  jwksFile?: string | undefined;
  jwksUrl?: string | undefined;
  issuer: string;
  audience: string;
  algorithms: string[];
  clockSkewSeconds: number;
}

export interface VerifiedToken {
  subject: string;
}

const MAX_TOKEN_CHARS = 8192;
const MAX_SUBJECT_CHARS = 255;

export class AccessTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  /** Verified tokens (by hash) until they expire: a client's calls verify a signature once. */
  private readonly verified = new LRUCache<string, { token: VerifiedToken; expMs: number }>({ max: 50_000 });

  constructor(private readonly settings: AccessTokenSettings) {
    if (settings.jwksFile) {
      this.keys = createLocalJWKSet(loadJwks(settings.jwksFile));
    } else if (settings.jwksUrl) {
      // Cached for ten minutes, refetched at most every 30 s when an unknown kid appears, each fetch bounded.
      this.keys = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    } else {
      throw new Error('invalid configuration: AUTH_JWKS_FILE or AUTH_JWKS_URL is required');
    }
  }

  async verify(authorization: string | undefined): Promise<VerifiedToken> {
    const token = bearerToken(authorization);
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.verified.get(cacheKey);
    if (cached && cached.expMs > Date.now() - this.settings.clockSkewSeconds * 1000) return cached.token;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.settings.algorithms,
        clockTolerance: this.settings.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      throw new UnauthenticatedError();
    }
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_CHARS) throw new UnauthenticatedError();
    const verified = { subject };
    // Not before its nbf: a token accepted early (within the skew) is not cached ahead of its time.
    if (!payload.nbf || payload.nbf * 1000 <= Date.now()) this.verified.set(cacheKey, { token: verified, expMs: payload.exp! * 1000 });
    return verified;
  }
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization || authorization.length > MAX_TOKEN_CHARS + 7) throw new UnauthenticatedError();
  const space = authorization.indexOf(' ');
  if (space < 0 || authorization.slice(0, space).toLowerCase() !== 'bearer') throw new UnauthenticatedError();
  const token = authorization.slice(space + 1).trim();
  if (!token) throw new UnauthenticatedError();
  return token;
}
