import { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { EmbeddingServiceClient } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { ExtractionServiceClient } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { createPeerClient } from '@clinote/shared/grpc-client.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { observeDatabasePool } from '@clinote/shared/metrics.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import { ensureDevAuth } from '@clinote/shared/auth/dev-auth.js';
import { IdentitySigner } from '@clinote/shared/auth/identity-token.js';
import { AccessTokenVerifier } from './auth/access-token.js';
import { GatewayAuth } from './auth/authenticator.js';
import type { GatewayConfig } from './config.js';
import { AuditEventRepository } from './repositories/audit-events.js';
import { UserRepository } from './repositories/users.js';
import { gatewayEntities } from './entities/user.js';
import { gatewayMigrations } from './migrations/index.js';

export interface GatewayDeps {
  config: GatewayConfig;
  orm: Orm;
  logger: Logger;
  context: ContextServiceClient;
  embedding: EmbeddingServiceClient;
  extraction: ExtractionServiceClient;
  users: UserRepository;
  /** The append-only audit trail of calls that read or write patient data. */
  audit: AuditEventRepository;
  auth: GatewayAuth;
  /** Signs the identity token every internal call carries. */
  identity: IdentitySigner;
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
  observeDatabasePool(orm, 'gateway');
  const keys = await authKeys(config, logger);
  const users = new UserRepository(() => orm.em.fork());
  const auth = new GatewayAuth({
    verifier: new AccessTokenVerifier({
      jwksFile: keys.jwksFile,
      jwksUrl: keys.jwksFile ? undefined : config.AUTH_JWKS_URL,
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      algorithms: config.AUTH_ALGORITHMS,
      clockSkewSeconds: config.AUTH_CLOCK_SKEW_S,
    }),
    users,
    logger,
    adminSubjects: config.AUTH_ADMIN_SUBJECTS,
    writeBurst: config.WRITE_RATE_BURST,
    writesPerSecond: config.WRITE_RATE_PER_SECOND,
    provisionsPerMinute: config.PROVISION_RATE_PER_MINUTE,
    userStateTtlMs: config.USER_STATE_TTL_MS,
  });
  const identity = await IdentitySigner.fromFile(keys.identityKeyFile);
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
    users,
    audit: new AuditEventRepository(() => orm.em.fork()),
    auth,
    identity,
    async close() {
      context.close();
      embedding.close();
      extraction.close();
      await orm.close(true);
    },
  };
}

/** The token keys: configured files, or in dev mode a generated pair under AUTH_DEV_DIR (said loudly). */
async function authKeys(config: GatewayConfig, logger: Logger): Promise<{ jwksFile: string | undefined; identityKeyFile: string }> {
  if (config.AUTH_MODE !== 'dev') return { jwksFile: config.AUTH_JWKS_FILE, identityKeyFile: config.INTERNAL_IDENTITY_KEY_FILE! };
  const dev = await ensureDevAuth(config.AUTH_DEV_DIR);
  logger.warn(
    { auth_dev_dir: config.AUTH_DEV_DIR },
    'AUTH_MODE=dev: tokens are checked against a LOCAL DEVELOPMENT key pair, not an identity provider. Never use this with real patients.',
  );
  return {
    jwksFile: config.AUTH_JWKS_FILE ?? (config.AUTH_JWKS_URL ? undefined : dev.accessJwksFile),
    identityKeyFile: config.INTERNAL_IDENTITY_KEY_FILE ?? dev.internalPrivateFile,
  };
}
