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
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';

export interface MeshOptions {
  databaseUrl: string;
  /** Empty: no Redis tier. */
  redisUrl: string;
  /** Extra environment for every service (OPENAI_*, LOG_LEVEL, limits...). */
  env?: NodeJS.ProcessEnv;
  /** Context-service query hook (tests count queries with it). */
  onContextQuery?: () => void;
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
  const [e, c, x] = await Promise.allSettled([
    startEmbedding(loadEmbeddingConfig(env)),
    startContext(loadContextConfig(env), { onQuery: options.onContextQuery }),
    startExtraction(loadExtractionConfig(env)),
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
        CONTEXT_ADDR: `127.0.0.1:${context.port}`,
        EMBEDDING_ADDR: `127.0.0.1:${embedding.port}`,
        EXTRACTION_ADDR: `127.0.0.1:${extraction.port}`,
      }),
    );
  } catch (err: unknown) {
    await Promise.all([context.stop(), embedding.stop(), extraction.stop()]);
    throw err;
  }
  const client = new GatewayServiceClient(`127.0.0.1:${gateway.port}`, grpcCredentials(env).client);
  return {
    gateway,
    context,
    embedding,
    extraction,
    client,
    async stop() {
      client.close();
      await gateway.stop();
      await Promise.all([context.stop(), embedding.stop(), extraction.stop()]);
    },
  };
}
