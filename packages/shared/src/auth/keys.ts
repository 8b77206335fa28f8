// Signing keys as JWK files: a private key for the signer, a public JWKS for verifiers.
// Used for the dev-mode public tokens and for the gateway's internal identity tokens.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';

export const SIGNING_ALG = 'ES256';

export interface KeyPairFiles {
  /** Private JWK (alg, kid set); readable by its owner only. */
  privateFile: string;
  /** Public JWKS with the one key. */
  jwksFile: string;
}

export function keyPairFiles(dir: string, name: string): KeyPairFiles {
  return { privateFile: path.join(dir, `${name}.private.jwk.json`), jwksFile: path.join(dir, `${name}.jwks.json`) };
}

/** Creates an ES256 key pair under dir unless it is there; returns its files. Safe to call concurrently. */
export async function ensureKeyPair(dir: string, name: string): Promise<KeyPairFiles> {
  const files = keyPairFiles(dir, name);
  if (existsSync(files.privateFile) && existsSync(files.jwksFile)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), alg: SIGNING_ALG, kid, use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, alg: SIGNING_ALG, kid, use: 'sig' }] };
  // Written aside and renamed, so a concurrent reader never sees half a file.
  const tmp = `.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(files.privateFile + tmp, JSON.stringify(privateJwk), { mode: 0o600 });
  writeFileSync(files.jwksFile + tmp, JSON.stringify(jwks, null, 2));
  chmodSync(files.privateFile + tmp, 0o600);
  renameSync(files.jwksFile + tmp, files.jwksFile);
  renameSync(files.privateFile + tmp, files.privateFile);
  return files;
}

export interface SigningKey {
  key: CryptoKey;
  kid: string;
  alg: string;
}

export async function loadSigningKey(privateFile: string): Promise<SigningKey> {
  const jwk = JSON.parse(readFileSync(privateFile, 'utf8')) as JWK;
  const alg = jwk.alg ?? SIGNING_ALG;
  const key = (await importJWK(jwk, alg)) as CryptoKey;
  return { key, kid: jwk.kid ?? (await calculateJwkThumbprint(jwk)), alg };
}

export function loadJwks(jwksFile: string): JSONWebKeySet {
  const parsed = JSON.parse(readFileSync(jwksFile, 'utf8')) as JSONWebKeySet;
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new Error(`invalid configuration: ${jwksFile} holds no keys`);
  return parsed;
}
