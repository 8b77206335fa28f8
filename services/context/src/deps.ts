import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { observeDatabasePool } from '@clinote/shared/metrics.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import type { ContextConfig } from './config.js';
import { CandidatePoolCache } from './domain/candidate-pool.js';
import { createContextCpuPool, type ContextCpuPool } from './domain/cpu-pool.js';
import { PooledFeatures } from './domain/pooled-features.js';
import { contextEntities } from './entities/index.js';
import { contextMigrations } from './migrations/index.js';

export interface ContextDeps {
  config: ContextConfig;
  orm: Orm;
  logger: Logger;
  /** Past encounters per user, packed for selection and kept warm; invalidated on writes. */
  candidatePools: CandidatePoolCache;
  /** Worker threads for CPU-heavy work on long texts, so the event loop stays free. */
  cpuPool: ContextCpuPool;
  /** Tokens, concepts and sections of texts: long ones computed in `cpuPool`. */
  features: PooledFeatures;
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
  observeDatabasePool(orm, 'context');
  const cpuPool = createContextCpuPool({ threads: config.CPU_WORKERS, maxQueue: config.CPU_MAX_QUEUE });
  logger.info({ cpu_workers: cpuPool.threads }, 'cpu pool started');
  return {
    config,
    orm,
    logger,
    candidatePools: new CandidatePoolCache({
      maxUsers: config.CONTEXT_POOL_MAX_USERS,
      maxBytes: config.CONTEXT_POOL_MAX_BYTES,
      maxEncounters: config.CONTEXT_POOL_MAX_ENCOUNTERS,
    }),
    cpuPool,
    features: new PooledFeatures(cpuPool),
    async close() {
      await Promise.all([cpuPool.close(), orm.close(true)]);
    },
  };
}
