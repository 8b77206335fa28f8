// Keys and certificates for `pnpm serve`, `pnpm start` and compose's one-shot `secrets` service:
// a throwaway CA with one certificate per service (internal mTLS), the gateway's internal
// identity-token key, and in dev mode a local key pair standing in for an identity provider.
// Generated once under .data/, reused, regenerated when missing or close to expiry.
import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { DEFAULT_DEV_AUTH_DIR, DEV_AUDIENCE, DEV_ISSUER, ensureDevAuth, mintDevToken } from '@clinote/shared/auth/dev-auth.js';
import { ensureKeyPair, type KeyPairFiles } from '@clinote/shared/auth/keys.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { createPki, pkiAt, type Pki } from './pki.js';
import { publicClientCredentials } from './processes.js';

export const SERVICE_NAMES = ['gateway', 'context', 'embedding', 'extraction'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export const INTERNAL_SERVICES = ['context', 'embedding', 'extraction'] as const;

const DAY_MS = 24 * 3600 * 1000;

/** The dev identity provider's keys: AUTH_DEV_DIR, relative to the repository root (never the cwd). */
export function devAuthDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(root, env.AUTH_DEV_DIR || DEFAULT_DEV_AUTH_DIR);
}

/** Dev mode unless the environment configures an identity provider (or says AUTH_MODE). */
export function authModeOf(env: NodeJS.ProcessEnv): 'dev' | 'jwt' {
  if (env.AUTH_MODE === 'dev' || env.AUTH_MODE === 'jwt') return env.AUTH_MODE;
  if (env.AUTH_MODE) throw new Error(`invalid configuration: AUTH_MODE must be jwt or dev, not ${env.AUTH_MODE}`);
  return env.AUTH_JWKS_FILE || env.AUTH_JWKS_URL || env.AUTH_ISSUER || env.AUTH_AUDIENCE ? 'jwt' : 'dev';
}

/** A dev token as the gateway in dev mode accepts it (issuer and audience follow AUTH_ISSUER/AUTH_AUDIENCE when set). */
export function mintLocalToken(devDir: string, subject: string, ttlSeconds: number | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return mintDevToken(devDir, {
    subject,
    ttlSeconds,
    issuer: env.AUTH_ISSUER || DEV_ISSUER,
    audience: env.AUTH_AUDIENCE || DEV_AUDIENCE,
  });
}

/** The certificate is signed by the CA and stays valid for at least renewMs. */
function certificateFresh(certFile: string, caFile: string, renewMs: number): boolean {
  try {
    const ca = new X509Certificate(readFileSync(caFile));
    const cert = new X509Certificate(readFileSync(certFile));
    const until = Date.now() + renewMs;
    return cert.verify(ca.publicKey) && new Date(cert.validTo).getTime() > until && new Date(ca.validTo).getTime() > until;
  } catch {
    return false;
  }
}

export function certificateExpiry(certFile: string): Date {
  return new Date(new X509Certificate(readFileSync(certFile)).validTo);
}

/**
 * A random secret in a file, created once (exclusively, so concurrent runs agree) and kept: the
 * embedding cache's key secret (EMBEDDING_CACHE_KEY_SECRET), which must outlive restarts for the
 * persistent cache tier to stay useful.
 */
export function ensureSecretFile(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return file;
}

export interface PkiPolicy {
  validDays: number;
  /** Regenerate when any certificate expires within this many days. */
  renewWithinDays: number;
}

/** The PKI under dir, regenerated as a whole when a file is missing, expiring, or from another CA. */
export async function ensurePki(dir: string, names: readonly string[], policy: PkiPolicy): Promise<Pki> {
  const caFile = path.join(dir, 'ca.pem');
  const fresh = names.every(
    (name) => existsSync(path.join(dir, `${name}.key`)) && certificateFresh(path.join(dir, `${name}.pem`), caFile, policy.renewWithinDays * DAY_MS),
  );
  if (fresh) return pkiAt(dir);
  // Built aside and swapped in, so a concurrent run never reads half a PKI.
  const stamp = `${process.pid}-${Date.now()}`;
  const next = `${dir}.new-${stamp}`;
  const old = `${dir}.old-${stamp}`;
  await createPki(next, [...names], policy.validDays);
  if (existsSync(dir)) renameSync(dir, old);
  try {
    renameSync(next, dir);
  } catch (err: unknown) {
    // Another run swapped its own in meanwhile: use that one.
    rmSync(next, { recursive: true, force: true });
    if (!existsSync(caFile)) throw err;
  }
  rmSync(old, { recursive: true, force: true });
  return pkiAt(dir);
}

export interface LocalSecretsOptions {
  /** `env` (serve): dev mode unless the environment configures an identity provider. `dev` (start): always the local keys. */
  auth: 'env' | 'dev';
  /** Internal mTLS with the throwaway CA under .data/pki (default true). */
  mutualTls?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface LocalSecrets {
  authMode: 'dev' | 'jwt';
  /** Dev mode: the stand-in identity provider's key directory (`pnpm token` mints from it). */
  devDir: string | undefined;
  pki: Pki | undefined;
  /** When the first certificate expires (mTLS on). */
  pkiValidUntil: Date | undefined;
  identity: KeyPairFiles;
  /** EMBEDDING_CACHE_KEY_SECRET: the caller's, or a file generated once under .data/. */
  cacheKeySecret: string;
  /** What each service gets on top of the pass-through environment. */
  envFor(service: ServiceName): NodeJS.ProcessEnv;
  /** How serve and start dial a service: internal ones with the gateway's certificate, the gateway as a client would. */
  credentialsFor(service: ServiceName): ChannelCredentials;
  /** A bearer token from the dev key (dev mode only). */
  devToken(subject: string, ttlSeconds?: number): Promise<string>;
}

/** Keys and certificates for running the four services as processes on this machine, under root/.data. */
export async function prepareLocalSecrets(root: string, options: LocalSecretsOptions): Promise<LocalSecrets> {
  const env = options.env ?? process.env;
  const authMode = options.auth === 'dev' ? 'dev' : authModeOf(env);
  const devDir = authMode === 'dev' ? devAuthDir(root, env) : undefined;
  const dev = devDir ? await ensureDevAuth(devDir) : undefined;

  // The internal identity key is the gateway's own, separate from any identity provider's.
  let identity: KeyPairFiles;
  if (env.INTERNAL_IDENTITY_KEY_FILE || env.INTERNAL_IDENTITY_JWKS_FILE) {
    if (!env.INTERNAL_IDENTITY_KEY_FILE || !env.INTERNAL_IDENTITY_JWKS_FILE) {
      throw new Error('invalid configuration: INTERNAL_IDENTITY_KEY_FILE and INTERNAL_IDENTITY_JWKS_FILE are set together or not at all');
    }
    identity = { privateFile: path.resolve(root, env.INTERNAL_IDENTITY_KEY_FILE), jwksFile: path.resolve(root, env.INTERNAL_IDENTITY_JWKS_FILE) };
  } else if (dev) {
    identity = { privateFile: dev.internalPrivateFile, jwksFile: dev.internalJwksFile };
  } else {
    identity = await ensureKeyPair(path.join(root, '.data', 'internal-identity'), 'internal');
  }

  const cacheKeySecret = env.EMBEDDING_CACHE_KEY_SECRET || ensureSecretFile(path.join(root, '.data', 'embedding-cache-key.secret'));

  const mutualTls = options.mutualTls ?? true;
  const pki = mutualTls ? await ensurePki(path.join(root, '.data', 'pki'), SERVICE_NAMES, { validDays: 30, renewWithinDays: 2 }) : undefined;
  const tlsFor = (service: ServiceName): NodeJS.ProcessEnv =>
    // Empty values are "unset" to every service: a GRPC_TLS_* in the caller's environment cannot serve four identities.
    pki ? { ...pki.forService(service) } : { GRPC_TLS_CA: '', GRPC_TLS_CERT: '', GRPC_TLS_KEY: '' };

  const gatewayAuth: NodeJS.ProcessEnv =
    authMode === 'dev'
      ? {
          AUTH_MODE: 'dev',
          AUTH_DEV_DIR: devDir,
          ...(options.auth === 'dev' ? { AUTH_JWKS_FILE: '', AUTH_JWKS_URL: '', AUTH_ISSUER: '', AUTH_AUDIENCE: '' } : {}),
        }
      : { AUTH_MODE: 'jwt' };

  return {
    authMode,
    devDir,
    pki,
    pkiValidUntil: pki ? certificateExpiry(pki.forService('gateway').GRPC_TLS_CERT) : undefined,
    identity,
    cacheKeySecret,
    envFor(service) {
      if (service === 'gateway') return { ...tlsFor(service), ...gatewayAuth, INTERNAL_IDENTITY_KEY_FILE: identity.privateFile };
      return {
        ...tlsFor(service),
        INTERNAL_IDENTITY_JWKS_FILE: identity.jwksFile,
        ...(service === 'embedding' ? { EMBEDDING_CACHE_KEY_SECRET: cacheKeySecret } : {}),
      };
    },
    credentialsFor(service) {
      if (service === 'gateway') return publicClientCredentials(env);
      return grpcCredentials(pki ? pki.forService('gateway') : {}).client;
    },
    devToken(subject, ttlSeconds) {
      if (!devDir) throw new Error('no dev key: an identity provider is configured (AUTH_JWKS_FILE/AUTH_JWKS_URL)');
      return mintLocalToken(devDir, subject, ttlSeconds, options.auth === 'dev' ? {} : env);
    },
  };
}

/** Where compose's `secrets` service writes, one named volume per service mounted at /secrets/<service>. */
export function composeSecretPaths(base: string, service: ServiceName) {
  const dir = path.join(base, service);
  return {
    dir,
    GRPC_TLS_CA: path.join(dir, 'ca.pem'),
    GRPC_TLS_CERT: path.join(dir, 'tls.pem'),
    GRPC_TLS_KEY: path.join(dir, 'tls.key'),
    /** Gateway only: the internal identity-token signing key. */
    INTERNAL_IDENTITY_KEY_FILE: path.join(dir, 'identity', 'internal.private.jwk.json'),
    /** Internal services: the gateway's identity-token JWKS. */
    INTERNAL_IDENTITY_JWKS_FILE: path.join(dir, 'identity.jwks.json'),
    /** Gateway only: the dev-mode stand-in identity provider. */
    AUTH_DEV_DIR: path.join(dir, 'dev-auth'),
    /** Embedding only: the cache key secret, shared by every replica through the one volume. */
    EMBEDDING_CACHE_KEY_SECRET: path.join(dir, 'cache-key.secret'),
  };
}

/**
 * Compose's init step: each service's volume gets the CA, its own certificate and key, and either
 * the identity-token key (gateway) or its public JWKS (internal services); embedding's also gets
 * the cache key secret. What is present and
 * fresh is kept; expiring or missing certificates are reissued for all services from a new CA.
 */
export async function writeComposeSecrets(base: string, policy: PkiPolicy = { validDays: 365, renewWithinDays: 30 }): Promise<void> {
  const renewMs = policy.renewWithinDays * DAY_MS;
  const paths = Object.fromEntries(SERVICE_NAMES.map((s) => [s, composeSecretPaths(base, s)])) as Record<ServiceName, ReturnType<typeof composeSecretPaths>>;
  const caPems = SERVICE_NAMES.map((s) => (existsSync(paths[s].GRPC_TLS_CA) ? readFileSync(paths[s].GRPC_TLS_CA, 'utf8') : ''));
  const sameCa = caPems.every((pem) => pem !== '' && pem === caPems[0]);
  const fresh =
    sameCa && SERVICE_NAMES.every((s) => existsSync(paths[s].GRPC_TLS_KEY) && certificateFresh(paths[s].GRPC_TLS_CERT, paths[s].GRPC_TLS_CA, renewMs));
  if (!fresh) {
    const scratch = path.join(base, `.pki-${process.pid}-${Date.now()}`);
    const pki = await createPki(scratch, [...SERVICE_NAMES], policy.validDays);
    for (const s of SERVICE_NAMES) {
      const tls = pki.forService(s);
      mkdirSync(paths[s].dir, { recursive: true });
      installFile(tls.GRPC_TLS_CA, paths[s].GRPC_TLS_CA, 0o644);
      installFile(tls.GRPC_TLS_CERT, paths[s].GRPC_TLS_CERT, 0o644);
      installFile(tls.GRPC_TLS_KEY, paths[s].GRPC_TLS_KEY, 0o600);
    }
    rmSync(scratch, { recursive: true, force: true });
  }
  const gateway = paths.gateway;
  const identity = await ensureKeyPair(path.dirname(gateway.INTERNAL_IDENTITY_KEY_FILE), 'internal');
  await ensureDevAuth(gateway.AUTH_DEV_DIR);
  for (const s of INTERNAL_SERVICES) installFile(identity.jwksFile, paths[s].INTERNAL_IDENTITY_JWKS_FILE, 0o644);
  ensureSecretFile(paths.embedding.EMBEDDING_CACHE_KEY_SECRET);
}

/** Copied aside and renamed into place, so a reader never sees half a file. */
function installFile(from: string, to: string, mode: number): void {
  mkdirSync(path.dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, to);
}
