import { EmbeddingServiceService } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { internalAuthenticatorFor } from '@clinote/shared/auth/internal-authenticator.js';
import { Admission } from '@clinote/shared/admission.js';
import { handlerBinder, type GrpcServerOptions } from '@clinote/shared/grpc-server.js';
import { actingFor, databaseReachable } from '@clinote/shared/orm.js';
import { serve, type StartedService } from '@clinote/shared/service.js';
import type { EmbeddingConfig } from './config.js';
import { createDeps, type EmbeddingDeps } from './deps.js';
import { embedBatch } from './handlers/embed-batch.js';
import { eraseUser } from './handlers/erase-user.js';
import { getCacheStats } from './handlers/get-cache-stats.js';

export function createServerOptions(deps: EmbeddingDeps): GrpcServerOptions {
  const base = {
    scope: 'clinote-embedding',
    logger: deps.logger,
    around: actingFor(deps.orm),
    authenticate: internalAuthenticatorFor(deps.config),
    admission: new Admission(deps.config.MAX_CONCURRENT_CALLS),
  };
  const bind = handlerBinder(base, deps);
  return {
    ...base,
    contract: 'embedding',
    readiness: () => databaseReachable(deps.orm),
    bindings: [
      {
        name: 'clinote.embedding.v1.EmbeddingService',
        definition: EmbeddingServiceService,
        implementation: {
          embedBatch: bind('EmbedBatch', embedBatch),
          getCacheStats: bind('GetCacheStats', getCacheStats),
          eraseUser: bind('EraseUser', eraseUser),
        },
      },
    ],
  };
}

export async function startEmbedding(config: EmbeddingConfig): Promise<StartedService<EmbeddingDeps>> {
  const deps = await createDeps(config);
  return serve(deps, createServerOptions(deps), config);
}
