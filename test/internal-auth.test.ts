// Inside the mesh only the gateway gets answers: internal services require a certificate from the
// mesh's CA naming an allowed peer, and an identity token the gateway signed. The public listener
// serves clients over one-way TLS.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, status, type ChannelCredentials, type Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_METADATA_KEY } from '@clinote/shared/auth/principal.js';
import { ensureKeyPair } from '@clinote/shared/auth/keys.js';
import { IdentitySigner } from '@clinote/shared/auth/identity-token.js';
import { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { EmbeddingServiceClient } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { ExtractionServiceClient } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { metadataInterceptor } from '@clinote/shared/grpc-client.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { createPki } from '../scripts/lib/pki.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let userId: string;
let foreignCa: ChannelCredentials;
let forger: IdentitySigner;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_internal_auth');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '', publicTls: true });
  userId = (await call(mesh.client, mesh.client.getUser, { userId: '' })).user!.id;
  // A second CA that issues a certificate named "gateway", and a key that is not the gateway's.
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'clinote-elsewhere-'));
  const otherPki = await createPki(path.join(elsewhere, 'pki'), ['gateway']);
  foreignCa = grpcCredentials({ ...otherPki.forService('gateway'), GRPC_TLS_CA: mesh.secrets.pki.caFile }).client;
  forger = await IdentitySigner.fromFile((await ensureKeyPair(path.join(elsewhere, 'keys'), 'forged')).privateFile);
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

const withIdentity = (token: () => Promise<string>) => metadataInterceptor(IDENTITY_METADATA_KEY, token);

type Ctor<C> = new (address: string, creds: ChannelCredentials, options?: object) => C;
const internal = () => [
  { name: 'context', port: mesh.context.port, probe: (c: Client) => call(c as ContextServiceClient, (c as ContextServiceClient).listSops, { userId: '', includeInactive: true }), Ctor: ContextServiceClient as Ctor<Client> },
  { name: 'embedding', port: mesh.embedding.port, probe: (c: Client) => call(c as EmbeddingServiceClient, (c as EmbeddingServiceClient).embedBatch, { texts: ['[doctor] hello'] }), Ctor: EmbeddingServiceClient as Ctor<Client> },
  { name: 'extraction', port: mesh.extraction.port, probe: (c: Client) => call(c as ExtractionServiceClient, (c as ExtractionServiceClient).evaluate, { transcript: 'x', sops: [], results: [], referenceNote: '' }), Ctor: ExtractionServiceClient as Ctor<Client> },
];

async function statusOf(name: string, creds: ChannelCredentials, identity?: () => Promise<string>): Promise<status | 'OK'> {
  const svc = internal().find((s) => s.name === name)!;
  const client = new svc.Ctor(`127.0.0.1:${svc.port}`, creds, identity ? { interceptors: [withIdentity(identity)] } : {});
  try {
    await svc.probe(client);
    return 'OK';
  } catch (err: unknown) {
    return (await refusal(Promise.reject(err))).code;
  } finally {
    client.close();
  }
}

describe('internal services', () => {
  const asGateway = () => mesh.secrets.identityTokenFor(userId);

  it('answer the gateway: its certificate and an identity token', async () => {
    for (const { name } of internal()) expect(await statusOf(name, mesh.secrets.channelCredentials('gateway'), asGateway)).toBe('OK');
  });

  it('refuse plaintext and certificates from another CA at the handshake', async () => {
    for (const { name } of internal()) {
      expect(await statusOf(name, credentials.createInsecure(), asGateway)).toBe(status.UNAVAILABLE);
      expect(await statusOf(name, foreignCa, asGateway)).toBe(status.UNAVAILABLE);
      expect(await statusOf(name, credentials.createSsl(readFileSync(mesh.secrets.pki.caFile)), asGateway)).toBe(status.UNAVAILABLE);
    }
  });

  it('refuse the right certificate without an identity token, or with a forged one', async () => {
    for (const { name } of internal()) {
      expect(await statusOf(name, mesh.secrets.channelCredentials('gateway'))).toBe(status.UNAUTHENTICATED);
      const forged = () => forger.tokenFor({ userId, admin: true });
      expect(await statusOf(name, mesh.secrets.channelCredentials('gateway'), forged)).toBe(status.UNAUTHENTICATED);
    }
  });

  it('refuse a certificate of the CA whose name the allow-list does not hold', async () => {
    for (const { name } of internal()) {
      expect(await statusOf(name, mesh.secrets.channelCredentials('stranger'), asGateway)).toBe(status.PERMISSION_DENIED);
      // Services do not call each other: another service's certificate is refused too.
      const other = name === 'context' ? 'embedding' : 'context';
      expect(await statusOf(name, mesh.secrets.channelCredentials(other), asGateway)).toBe(status.PERMISSION_DENIED);
    }
  });
});

describe('the public listener', () => {
  it('serves clients over one-way TLS and refuses plaintext', async () => {
    const token = await mesh.secrets.tokenFor('clinician');
    const tlsClient = new GatewayServiceClient(`127.0.0.1:${mesh.gateway.port}`, credentials.createSsl(readFileSync(mesh.secrets.pki.caFile)));
    const plain = new GatewayServiceClient(`127.0.0.1:${mesh.gateway.port}`, credentials.createInsecure());
    try {
      const auth = { authorization: `Bearer ${token}` };
      const { clientCaller } = await import('@clinote/shared/grpc-client.js');
      const me = await clientCaller(tlsClient, 10_000, auth)(tlsClient.getUser, { userId: '' });
      expect(me.user!.id).toBe(userId);
      const refused = await refusal(clientCaller(plain, 10_000, auth)(plain.getUser, { userId: '' }));
      expect(refused.code).toBe(status.UNAVAILABLE);
    } finally {
      tlsClient.close();
      plain.close();
    }
  });
});
