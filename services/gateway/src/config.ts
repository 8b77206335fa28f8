import { z } from 'zod';
import { databaseEnv, databaseSettings, optionalEnv, parseEnv, peerTimeoutEnv, serverEnv } from '@clinote/shared/config.js';
import { DEFAULT_DEV_AUTH_DIR, DEV_AUDIENCE, DEV_ISSUER } from '@clinote/shared/auth/dev-auth.js';

const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

const gatewayEnv = serverEnv
  .merge(databaseEnv)
  .merge(peerTimeoutEnv)
  .extend({
    // Peers are required: a gateway without them cannot do its job, so it refuses to start.
    CONTEXT_ADDR: z.string().min(1),
    EMBEDDING_ADDR: z.string().min(1),
    EXTRACTION_ADDR: z.string().min(1),
    MAX_TRANSCRIPT_CHARS: z.coerce.number().int().positive().default(200_000),
    MAX_SOPS_PER_EXTRACTION: z.coerce.number().int().positive().default(10),
    /** Bound on a whole extraction when the caller sets no deadline. */
    EXTRACT_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
    IMPORT_BATCH_SIZE: z.coerce.number().int().positive().default(100),
    CONTEXT_TOKENIZER_MODEL: z.string().default('gpt-4o'),

    /** `jwt` (default): tokens from the identity provider's JWKS. `dev`: a local key pair, with a loud warning. */
    AUTH_MODE: z.enum(['jwt', 'dev']).default('jwt'),
    AUTH_JWKS_FILE: optionalEnv(z.string()),
    AUTH_JWKS_URL: optionalEnv(z.string().url()),
    AUTH_ISSUER: optionalEnv(z.string()),
    AUTH_AUDIENCE: optionalEnv(z.string()),
    AUTH_ALGORITHMS: z
      .string()
      .default('ES256,RS256')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1)),
    /** Accepted clock skew on exp/nbf, at most 60 s. */
    AUTH_CLOCK_SKEW_S: z.coerce.number().int().min(0).max(60).default(60),
    /** Token subjects that may act on other clinicians' data (erasure, audit). */
    AUTH_ADMIN_SUBJECTS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
    AUTH_DEV_DIR: z.string().default(DEFAULT_DEV_AUTH_DIR),
    /** Private JWK the gateway signs internal identity tokens with (generated under AUTH_DEV_DIR in dev mode). */
    INTERNAL_IDENTITY_KEY_FILE: optionalEnv(z.string()),
    /** Writes (extractions, imports, SOP and profile changes) per clinician: a bucket of this size, refilled per second. */
    WRITE_RATE_BURST: z.coerce.number().int().positive().default(600),
    WRITE_RATE_PER_SECOND: z.coerce.number().int().positive().default(100),
    /** How long a clinician's erasure state is trusted once read (ms; 0 reads it on every call). */
    USER_STATE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    /** New clinicians provisioned per gateway per minute (first calls of unseen subjects). */
    PROVISION_RATE_PER_MINUTE: z.coerce.number().int().positive().default(600),
    /** One-way TLS for clients on the public listener (separate from the internal mTLS). */
    PUBLIC_TLS_CERT: optionalEnv(z.string()),
    PUBLIC_TLS_KEY: optionalEnv(z.string()),
  })
  .superRefine((env, issues) => {
    if (env.AUTH_MODE === 'dev') return;
    if (!env.AUTH_JWKS_FILE && !env.AUTH_JWKS_URL) {
      issues.addIssue({ code: 'custom', path: ['AUTH_JWKS_FILE'], message: 'AUTH_JWKS_FILE or AUTH_JWKS_URL is required (AUTH_MODE=dev for local development only)' });
    }
    if (!env.AUTH_ISSUER) issues.addIssue({ code: 'custom', path: ['AUTH_ISSUER'], message: 'required' });
    if (!env.AUTH_AUDIENCE) issues.addIssue({ code: 'custom', path: ['AUTH_AUDIENCE'], message: 'required' });
    if (!env.INTERNAL_IDENTITY_KEY_FILE) issues.addIssue({ code: 'custom', path: ['INTERNAL_IDENTITY_KEY_FILE'], message: 'required' });
    if (Boolean(env.PUBLIC_TLS_CERT) !== Boolean(env.PUBLIC_TLS_KEY)) {
      issues.addIssue({ code: 'custom', path: ['PUBLIC_TLS_CERT'], message: 'PUBLIC_TLS_CERT and PUBLIC_TLS_KEY are set together' });
    }
  });

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(gatewayEnv, env);
  return {
    ...parsed,
    AUTH_ISSUER: parsed.AUTH_ISSUER ?? DEV_ISSUER,
    AUTH_AUDIENCE: parsed.AUTH_AUDIENCE ?? DEV_AUDIENCE,
    database: databaseSettings(parsed),
  };
}
export type GatewayConfig = ReturnType<typeof loadConfig>;
