import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import type { ContextConfig } from './config.js';
import { CandidatePoolCache } from './domain/candidate-pool.js';
import { contextEntities } from './entities/index.js';
import { contextMigrations } from './migrations/index.js';

export interface ContextDeps {
  config: ContextConfig;
  orm: Orm;
  logger: Logger;
  /** Past encounters per user, packed for selection and kept warm; invalidated on writes. */
  candidatePools: CandidatePoolCache;
  close(): Promise<void>;
}

export async function createDeps(config: ContextConfig, overrides: { onQuery?: () => void } = {}): Promise<ContextDeps> {
  const logger = createLogger('context', config.LOG_LEVEL, config.LOG_FILE);
  const orm = await createOrm({
    schema: 'context',
    database: config.database,
    logger,
    entities: contextEntities,
    migrations: contextMigrations,
    onQuery: overrides.onQuery,
  });
  return {
    config,
    orm,
    logger,
    candidatePools: new CandidatePoolCache({ maxUsers: config.CONTEXT_POOL_MAX_USERS, maxBytes: config.CONTEXT_POOL_MAX_BYTES }),
    async close() {
      await orm.close(true);
    },
  };
}
