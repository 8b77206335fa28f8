// Starts the four services in this process on port 0, wired to each other over real gRPC.
// Used by the integration tests and the quality benchmark; `pnpm start` runs them as separate processes.
import { loadConfig as loadContextConfig } from '@clinote/context/config.js';
import { startContext } from '@clinote/context/server.js';
import { loadConfig as loadEmbeddingConfig } from '@clinote/embedding/config.js';
import { startEmbedding } from '@clinote/embedding/server.js';
import { loadConfig as loadExtractionConfig } from '@clinote/extraction/config.js';
import { startExtraction } from '@clinote/extraction/server.js';
import { loadConfig as loadGatewayConfig } from '@clinote/gateway/config.js';
import { startGateway } from '@clinote/gateway/server.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, type ChannelCredentials, type Client } from '@grpc/grpc-js';
import { IdentitySigner } from '@clinote/shared/auth/identity-token.js';
import { IDENTITY_METADATA_KEY } from '@clinote/shared/auth/principal.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevAuth, mintDevToken, type MintOptions } from '@clinote/shared/auth/dev-auth.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { bearerInterceptor, metadataInterceptor } from '@clinote/shared/grpc-client.js';
import { provisionDatabaseRoles } from '@clinote/shared/db-roles.js';
import { createPki, type Pki } from './pki.js';
import { ensureSecretFile } from './secrets.js';

export interface MeshOptions {
  databaseUrl: string;
  /** Empty: no Redis tier. */
  redisUrl: string;
  /** Extra environment for every service (OPENAI_*, LOG_LEVEL, limits...). */
  env?: NodeJS.ProcessEnv;
  /** Context-service query hook (tests count queries with it). */
  onContextQuery?: () => void;
  /** Internal mTLS with a throwaway CA (default true). */
  mutualTls?: boolean;
  /** One-way TLS on the gateway's public listener, with the throwaway CA's `gateway` certificate. */
  publicTls?: boolean;
}

/** Keys and certificates of one mesh: a stand-in identity provider, the identity-token key, a CA. */
export interface MeshSecrets {
  dir: string;
  pki: Pki;
  /** Environment every service of the mesh gets: token keys, and its own certificate when mTLS is on. */
  envFor(service: 'gateway' | 'context' | 'embedding' | 'extraction'): NodeJS.ProcessEnv;
  /** A valid bearer token for a subject (options for tests of invalid ones). */
  tokenFor(subject: string, options?: Omit<MintOptions, 'subject'>): Promise<string>;
  /** An identity token as the gateway would sign it for an internal call acting for userId. */
  identityTokenFor(userId: string, admin?: boolean): Promise<string>;
  /** Channel credentials presenting the named certificate (plaintext when mTLS is off). */
  channelCredentials(certificate?: string): ChannelCredentials;
  /** A client of an internal service as the gateway would call it: its certificate and an identity token for userId. */
  internalClient<C extends Client>(Ctor: new (address: string, creds: ChannelCredentials, options?: object) => C, port: number, userId: string): C;
}

export async function createMeshSecrets(mutualTls = true): Promise<MeshSecrets> {
  const dir = mkdtempSync(path.join(tmpdir(), 'clinote-mesh-'));
  const [auth, pki] = await Promise.all([
    ensureDevAuth(path.join(dir, 'auth')),
    createPki(path.join(dir, 'pki'), ['gateway', 'context', 'embedding', 'extraction', 'stranger']),
  ]);
  const authEnv = {
    AUTH_JWKS_FILE: auth.accessJwksFile,
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    INTERNAL_IDENTITY_KEY_FILE: auth.internalPrivateFile,
    INTERNAL_IDENTITY_JWKS_FILE: auth.internalJwksFile,
  };
  const signer = await IdentitySigner.fromFile(auth.internalPrivateFile);
  // The embedding cache's key secret: generated per mesh, as a file, the way a deployment mounts it.
  const cacheKeySecretFile = path.join(dir, 'embedding-cache-key.secret');
  ensureSecretFile(cacheKeySecretFile);
  const channelCredentials = (certificate = 'gateway') =>
    mutualTls ? grpcCredentials(pki.forService(certificate)).client : credentials.createInsecure();
  return {
    dir,
    pki,
    envFor: (service) => ({
      ...authEnv,
      ...(mutualTls ? pki.forService(service) : {}),
      ...(service === 'embedding' ? { EMBEDDING_CACHE_KEY_SECRET: cacheKeySecretFile } : {}),
    }),
    tokenFor: (subject, options = {}) => mintDevToken(auth.accessPrivateFile, { ...options, subject }),
    identityTokenFor: (userId, admin = false) => signer.tokenFor({ userId, admin }),
    channelCredentials,
    internalClient(Ctor, port, userId) {
      const identity = metadataInterceptor(IDENTITY_METADATA_KEY, () => signer.tokenFor({ userId, admin: false }));
      return new Ctor(`127.0.0.1:${port}`, channelCredentials(), { interceptors: [identity] });
    },
  };
}

export type Mesh = Awaited<ReturnType<typeof startMesh>>;

export async function startMesh(options: MeshOptions) {
  const env: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    GRPC_ADDRESS: '127.0.0.1:0',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    DB_POOL_MIN: '0',
    DB_POOL_MAX: '10',
    ...options.env,
  };
  const secrets = await createMeshSecrets(options.mutualTls ?? true);
  // Each service as its own role (row-level security applies), migrations as the migrator.
  const roles = await provisionDatabaseRoles(options.databaseUrl);
  const [e, c, x] = await Promise.allSettled([
    startEmbedding(loadEmbeddingConfig({ ...env, ...roles.envFor('embedding'), ...secrets.envFor('embedding') })),
    startContext(loadContextConfig({ ...env, ...roles.envFor('context'), ...secrets.envFor('context') }), { onQuery: options.onContextQuery }),
    startExtraction(loadExtractionConfig({ ...env, ...roles.envFor('extraction'), ...secrets.envFor('extraction') })),
  ]);
  if (e.status === 'rejected' || c.status === 'rejected' || x.status === 'rejected') {
    // Stop what did start, so a failed start leaves nothing running.
    await Promise.all([e, c, x].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw [e, c, x].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))[0];
  }
  const [embedding, context, extraction] = [e.value, c.value, x.value];
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(
      loadGatewayConfig({
        ...env,
        ...roles.envFor('gateway'),
        ...secrets.envFor('gateway'),
        ...(options.publicTls ? publicTlsEnv(secrets) : {}),
        CONTEXT_ADDR: `127.0.0.1:${context.port}`,
        EMBEDDING_ADDR: `127.0.0.1:${embedding.port}`,
        EXTRACTION_ADDR: `127.0.0.1:${extraction.port}`,
      }),
    );
  } catch (err: unknown) {
    await Promise.all([context.stop(), embedding.stop(), extraction.stop()]);
    throw err;
  }
  const clients: GatewayServiceClient[] = [];
  /** A gateway client whose every call carries a valid token for this subject. */
  const clientAs = async (subject: string): Promise<GatewayServiceClient> => {
    const token = await secrets.tokenFor(subject);
    const channel = options.publicTls ? credentials.createSsl(readFileSync(secrets.pki.caFile)) : credentials.createInsecure();
    const client = new GatewayServiceClient(`127.0.0.1:${gateway.port}`, channel, {
      interceptors: [bearerInterceptor(token)],
    });
    clients.push(client);
    return client;
  };
  const client = await clientAs('clinician');
  return {
    gateway,
    context,
    embedding,
    extraction,
    secrets,
    /** Authenticated as the subject `clinician`. */
    client,
    clientAs,
    async stop() {
      for (const c of clients) c.close();
      await gateway.stop();
      await Promise.all([context.stop(), embedding.stop(), extraction.stop()]);
      rmSync(secrets.dir, { recursive: true, force: true });
    },
  };
}

function publicTlsEnv(secrets: MeshSecrets): NodeJS.ProcessEnv {
  const tls = secrets.pki.forService('gateway');
  return { PUBLIC_TLS_CERT: tls.GRPC_TLS_CERT, PUBLIC_TLS_KEY: tls.GRPC_TLS_KEY };
}
