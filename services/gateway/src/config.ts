import { z } from 'zod';
import { databaseEnv, databaseSettings, parseEnv, peerTimeoutEnv, serverEnv } from '@clinote/shared/config.js';

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
  });

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(gatewayEnv, env);
  return { ...parsed, database: databaseSettings(parsed) };
}
export type GatewayConfig = ReturnType<typeof loadConfig>;
