import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { IdentitySigner, IdentityVerifier } from './identity-token.js';
import { ensureKeyPair, loadSigningKey } from './keys.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clinote-identity-'));
const user = '0a1b2c3d-0000-4000-8000-000000000001';
let signer: IdentitySigner;
let verifier: IdentityVerifier;
let otherSigner: IdentitySigner;
let privateFile: string;

beforeAll(async () => {
  const keys = await ensureKeyPair(dir, 'internal');
  privateFile = keys.privateFile;
  signer = await IdentitySigner.fromFile(keys.privateFile);
  verifier = new IdentityVerifier(keys.jwksFile);
  otherSigner = await IdentitySigner.fromFile((await ensureKeyPair(dir, 'other')).privateFile);
});

describe('identity tokens', () => {
  it('carry the principal from the gateway to a verifier of its key', async () => {
    expect(await verifier.verify(await signer.tokenFor({ userId: user, admin: false }))).toEqual({ userId: user, admin: false });
    expect(await verifier.verify(await signer.tokenFor({ userId: user, admin: true }))).toEqual({ userId: user, admin: true });
  });

  it('are reused while fresh, so an extraction signs once', async () => {
    const first = await signer.tokenFor({ userId: user, admin: false });
    expect(await signer.tokenFor({ userId: user, admin: false })).toBe(first);
  });

  it('refuse a missing token, another key, and a token that is not an identity token', async () => {
    await expect(verifier.verify(undefined)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(verifier.verify(await otherSigner.tokenFor({ userId: user, admin: true }))).rejects.toBeInstanceOf(UnauthenticatedError);
    const key = await loadSigningKey(privateFile);
    // Same key, but a public-style token (no identity type, another audience): refused.
    const impostor = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer('clinote-gateway')
      .setAudience('clinote')
      .setSubject(user)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(key.key);
    await expect(verifier.verify(impostor)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuse a subject that is not a user id', async () => {
    const key = await loadSigningKey(privateFile);
    const odd = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'clinote-identity+jwt' })
      .setIssuer('clinote-gateway')
      .setAudience('clinote-internal')
      .setSubject('admin')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(key.key);
    await expect(verifier.verify(odd)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
