import { z } from 'zod';
import { cpuPoolEnv, databaseEnv, databaseSettings, internalAuthEnv, parseEnv, serverEnv } from '@clinote/shared/config.js';

const contextEnv = serverEnv.merge(databaseEnv).merge(internalAuthEnv).merge(cpuPoolEnv).extend({
  /** Tokenizer model the context budget is counted for. */
  CONTEXT_TOKENIZER_MODEL: z.string().default('gpt-4o'),
  CONTEXT_WINDOW_TOKENS: z.coerce.number().int().positive().default(128_000),
  CONTEXT_RESERVED_OUTPUT_TOKENS: z.coerce.number().int().nonnegative().default(4_096),
  /** Few-shot examples are long: cap their share of the window whatever the model allows. */
  CONTEXT_MAX_EXAMPLE_TOKENS: z.coerce.number().int().positive().default(12_000),
  /** Users whose candidate pools stay warm in memory. */
  CONTEXT_POOL_MAX_USERS: z.coerce.number().int().positive().default(256),
  /** Bound on all warm pools' bytes (WebAssembly memory, outside Node's heap limit). */
  CONTEXT_POOL_MAX_BYTES: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  /** Newest past encounters a user's pool holds. */
  CONTEXT_POOL_MAX_ENCOUNTERS: z.coerce.number().int().positive().default(100_000),
  /** weighted (the product), similarity (baseline) or none: lets the quality benchmark compare them. */
  CONTEXT_SELECTION_MODE: z.enum(['weighted', 'similarity', 'none']).default('weighted'),
  IMPORT_MAX_BATCH: z.coerce.number().int().positive().default(500),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(contextEnv, env);
  return { ...parsed, database: databaseSettings(parsed) };
}
export type ContextConfig = ReturnType<typeof loadConfig>;
