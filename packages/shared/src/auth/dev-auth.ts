// Local development identity: a key pair under .data/dev-auth/ that stands in for an identity
// provider. Never used unless AUTH_MODE=dev is set explicitly (or `pnpm serve` runs without AUTH_*).
import path from 'node:path';
import { SignJWT } from 'jose';
import { ensureKeyPair, keyPairFiles, loadSigningKey } from './keys.js';

export const DEV_ISSUER = 'clinote-dev';
export const DEV_AUDIENCE = 'clinote';
export const DEFAULT_DEV_AUTH_DIR = path.join('.data', 'dev-auth');

export interface DevAuthFiles {
  /** Public JWKS of the stand-in identity provider (AUTH_JWKS_FILE). */
  accessJwksFile: string;
  accessPrivateFile: string;
  /** The gateway's internal identity-token key (INTERNAL_IDENTITY_KEY_FILE) and its JWKS (INTERNAL_IDENTITY_JWKS_FILE). */
  internalPrivateFile: string;
  internalJwksFile: string;
}

/** Creates (once) both key pairs under dir. */
export async function ensureDevAuth(dir: string): Promise<DevAuthFiles> {
  const [access, internal] = await Promise.all([ensureKeyPair(dir, 'access'), ensureKeyPair(dir, 'internal')]);
  return {
    accessJwksFile: access.jwksFile,
    accessPrivateFile: access.privateFile,
    internalPrivateFile: internal.privateFile,
    internalJwksFile: internal.jwksFile,
  };
}

export interface MintOptions {
  subject: string;
  /** Lifetime in seconds (default 12 hours). */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
  /** Extra claims, e.g. for tests of wrong issuers or audiences. */
  claims?: Record<string, unknown>;
}

/** A bearer token signed with the dev identity provider's key in dir (or a private JWK file given directly). */
export async function mintDevToken(dirOrPrivateFile: string, options: MintOptions): Promise<string> {
  const privateFile = dirOrPrivateFile.endsWith('.json') ? dirOrPrivateFile : keyPairFiles(dirOrPrivateFile, 'access').privateFile;
  const key = await loadSigningKey(privateFile);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setAudience(options.audience ?? DEV_AUDIENCE)
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 12 * 3600))
    .sign(key.key);
}
