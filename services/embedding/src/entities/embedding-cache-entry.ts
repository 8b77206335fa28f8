import { BigIntType, BlobType, EntitySchema } from '@mikro-orm/core';

/** One cached embedding: the persistent tier that outlives both the service and Redis. */
export class EmbeddingCacheEntry {
  /** sha256 of model, model version and normalised text (see domain/cache-key.ts); never the text. */
  key!: string;
  model!: string;
  dims!: number;
  /** Packed little-endian Float32 values. */
  vector!: Buffer;
  hits!: number;
  createdAt!: Date;
  lastUsedAt!: Date;
}

export const EmbeddingCacheEntrySchema = new EntitySchema<EmbeddingCacheEntry>({
  class: EmbeddingCacheEntry,
  schema: 'embedding',
  tableName: 'embedding_cache_entry',
  properties: {
    key: { type: 'text', primary: true },
    model: { type: 'text' },
    dims: { type: 'integer' },
    vector: { type: BlobType },
    hits: { type: new BigIntType('number'), default: 0 },
    createdAt: { type: 'datetime', fieldName: 'created_at', defaultRaw: 'now()' },
    lastUsedAt: { type: 'datetime', fieldName: 'last_used_at', defaultRaw: 'now()' },
  },
  indexes: [{ name: 'embedding_cache_entry_last_used_at_index', expression: 'create index "embedding_cache_entry_last_used_at_index" on "embedding"."embedding_cache_entry" ("last_used_at" desc)' }],
});
