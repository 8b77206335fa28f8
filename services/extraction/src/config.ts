import { z } from 'zod';
import { databaseEnv, databaseSettings, optionalEnv, internalAuthEnv, parseEnv, serverEnv } from '@clinote/shared/config.js';

const priceTable = z
  .string()
  .default('{}')
  .transform((raw, ctx) => {
    try {
      return z.record(z.string(), z.object({ inputPerMTok: z.number(), outputPerMTok: z.number() })).parse(JSON.parse(raw));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'LLM_PRICES must be JSON: {"model": {"inputPerMTok": n, "outputPerMTok": n}}' });
      return z.NEVER;
    }
  });

const extractionEnv = serverEnv.merge(databaseEnv).merge(internalAuthEnv).extend({
  /** Unset: the offline extractor, which needs no network. */
  OPENAI_API_KEY: optionalEnv(z.string()),
  OPENAI_BASE_URL: optionalEnv(z.string().url()),
  /** Ordered fallback list. */
  LLM_MODELS: z
    .string()
    .default('gpt-4o-mini')
    .transform((s) => s.split(',').map((m) => m.trim()).filter(Boolean)),
  LLM_MAX_CONCURRENCY: z.coerce.number().int().positive().default(8),
  LLM_MAX_RETRIES: z.coerce.number().int().nonnegative().default(2),
  LLM_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  LLM_MAX_REASKS: z.coerce.number().int().nonnegative().default(2),
  /** Chat requests waiting for a concurrency slot; beyond it RESOURCE_EXHAUSTED at once. */
  LLM_MAX_QUEUE: z.coerce.number().int().nonnegative().default(256),
  /** Chat requests one SOP's extraction may send across models and re-asks. */
  LLM_MAX_CALLS_PER_EXTRACTION: z.coerce.number().int().positive().default(6),
  /** Consecutive provider failures that open a model's circuit, and how long it stays open. */
  LLM_BREAKER_FAILURES: z.coerce.number().int().positive().default(5),
  LLM_BREAKER_HALF_OPEN_MS: z.coerce.number().int().positive().default(30_000),
  LLM_PRICES: priceTable,
  /** Worker threads for CPU-heavy work (offline extraction, evaluation). Unset: one per available core. */
  EXTRACTION_WORKERS: optionalEnv(z.coerce.number().int().positive()),
  /** Pool tasks that may wait for a worker (a request has one task per SOP); beyond it RESOURCE_EXHAUSTED. */
  EXTRACTION_MAX_QUEUE: z.coerce.number().int().nonnegative().default(64),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(extractionEnv, env);
  return { ...parsed, database: databaseSettings(parsed) };
}
export type ExtractionConfig = ReturnType<typeof loadConfig>;
