import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '@clinote/shared/auth/dev-auth.js';
import { ensureKeyPair } from '@clinote/shared/auth/keys.js';
import { UnauthenticatedError } from '@clinote/shared/errors.js';
import { loadConfig } from '../config.js';
import { AccessTokenVerifier } from './access-token.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clinote-access-'));
let keys: Awaited<ReturnType<typeof ensureKeyPair>>;
let server: Server;
let jwksUrl: string;
let hangingUrl: string;
let fetches = 0;

beforeAll(async () => {
  keys = await ensureKeyPair(dir, 'idp');
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers: the fetch must be bounded
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(readFileSync(keys.jwksFile));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  jwksUrl = `http://127.0.0.1:${port}/jwks.json`;
  hangingUrl = `http://127.0.0.1:${port}/hang`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const settings = { issuer: 'https://idp.test', audience: 'clinote', algorithms: ['ES256', 'RS256'], clockSkewSeconds: 60 };
const token = (options: Partial<Parameters<typeof mintDevToken>[1]> = {}) =>
  mintDevToken(keys.privateFile, { subject: 'auth0|abc', issuer: settings.issuer, audience: settings.audience, ...options });

describe('AccessTokenVerifier', () => {
  it('accepts a token signed by a key of the JWKS file, returning its subject', async () => {
    const verifier = new AccessTokenVerifier({ ...settings, jwksFile: keys.jwksFile });
    expect(await verifier.verify(`Bearer ${await token()}`)).toEqual({ subject: 'auth0|abc' });
  });

  it('accepts an expiry within the 60 s skew and refuses one beyond it', async () => {
    const verifier = new AccessTokenVerifier({ ...settings, jwksFile: keys.jwksFile });
    await expect(verifier.verify(`Bearer ${await token({ ttlSeconds: -30 })}`)).resolves.toEqual({ subject: 'auth0|abc' });
    await expect(verifier.verify(`Bearer ${await token({ ttlSeconds: -90 })}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('fetches the JWKS from a URL once and caches it', async () => {
    const verifier = new AccessTokenVerifier({ ...settings, jwksUrl });
    const before = fetches;
    expect(await verifier.verify(`Bearer ${await token({ subject: 'one' })}`)).toEqual({ subject: 'one' });
    expect(await verifier.verify(`Bearer ${await token({ subject: 'two' })}`)).toEqual({ subject: 'two' });
    expect(fetches - before).toBe(1);
  });

  it('refuses, within its bound, when the JWKS endpoint never answers', async () => {
    const verifier = new AccessTokenVerifier({ ...settings, jwksUrl: hangingUrl });
    await expect(verifier.verify(`Bearer ${await token()}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  }, 15_000);

  it('refuses a token whose algorithm is not allowed', async () => {
    const verifier = new AccessTokenVerifier({ ...settings, algorithms: ['RS256'], jwksFile: keys.jwksFile });
    await expect(verifier.verify(`Bearer ${await token()}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe('gateway auth configuration', () => {
  const peers = { CONTEXT_ADDR: 'a:1', EMBEDDING_ADDR: 'b:1', EXTRACTION_ADDR: 'c:1' };

  it('refuses to start without a JWKS unless AUTH_MODE=dev is set explicitly', () => {
    expect(() => loadConfig(peers)).toThrow(/AUTH_JWKS_FILE or AUTH_JWKS_URL is required/);
    expect(loadConfig({ ...peers, AUTH_MODE: 'dev' }).AUTH_MODE).toBe('dev');
  });

  it('allows no symmetric or `none` algorithms', () => {
    const env = { ...peers, AUTH_MODE: 'dev' };
    expect(() => loadConfig({ ...env, AUTH_ALGORITHMS: 'HS256' })).toThrow(/AUTH_ALGORITHMS/);
    expect(() => loadConfig({ ...env, AUTH_ALGORITHMS: 'none' })).toThrow(/AUTH_ALGORITHMS/);
  });
});
