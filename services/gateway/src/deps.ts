import { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { EmbeddingServiceClient } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { ExtractionServiceClient } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { createPeerClient } from '@clinote/shared/grpc-client.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import type { GatewayConfig } from './config.js';
import { gatewayEntities } from './entities/user.js';
import { gatewayMigrations } from './migrations/index.js';

export interface GatewayDeps {
  config: GatewayConfig;
  orm: Orm;
  logger: Logger;
  context: ContextServiceClient;
  embedding: EmbeddingServiceClient;
  extraction: ExtractionServiceClient;
  /**
   * The embedding model the embedding service last answered with. Context gathering runs in parallel
   * with the transcript's embedding, so it warms that model's past encounters on this hint.
   */
  embeddingModelHint: { current: string };
  close(): Promise<void>;
}

/** The only place the gateway's dependencies are built. */
export async function createDeps(config: GatewayConfig, overrides: { onQuery?: () => void } = {}): Promise<GatewayDeps> {
  const logger = createLogger('gateway', config.LOG_LEVEL, config.LOG_FILE);
  const orm = await createOrm({
    schema: 'gateway',
    database: config.database,
    logger,
    entities: gatewayEntities,
    migrations: gatewayMigrations,
    onQuery: overrides.onQuery,
  });
  const peer = { defaultTimeoutMs: config.PEER_DEFAULT_TIMEOUT_MS, credentials: grpcCredentials(config).client };
  const context = createPeerClient(ContextServiceClient, { ...peer, address: config.CONTEXT_ADDR });
  const embedding = createPeerClient(EmbeddingServiceClient, { ...peer, address: config.EMBEDDING_ADDR });
  const extraction = createPeerClient(ExtractionServiceClient, { ...peer, address: config.EXTRACTION_ADDR });
  return {
    config,
    orm,
    logger,
    context,
    embedding,
    extraction,
    embeddingModelHint: { current: '' },
    async close() {
      context.close();
      embedding.close();
      extraction.close();
      await orm.close(true);
    },
  };
}
