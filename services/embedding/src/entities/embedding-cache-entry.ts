import { BigIntType, BlobType, EntitySchema } from '@mikro-orm/core';

/** One cached embedding: the persistent tier that outlives both the service and Redis. */
export class EmbeddingCacheEntry {
  /** HMAC of user, model, model version and normalised text (see domain/cache-key.ts); never the text. */
  key!: string;
  /** Whose entry it is: erasing a clinician deletes their rows. */
  userId!: string;
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
    userId: { type: 'uuid', fieldName: 'user_id' },
    model: { type: 'text' },
    dims: { type: 'integer' },
    vector: { type: BlobType },
    hits: { type: new BigIntType('number'), default: 0 },
    createdAt: { type: 'datetime', fieldName: 'created_at', defaultRaw: 'now()' },
    lastUsedAt: { type: 'datetime', fieldName: 'last_used_at', defaultRaw: 'now()' },
  },
  indexes: [
    { name: 'embedding_cache_entry_last_used_at_index', expression: 'create index "embedding_cache_entry_last_used_at_index" on "embedding"."embedding_cache_entry" ("last_used_at" desc)' },
    { name: 'embedding_cache_entry_user_id_index', properties: ['userId'] },
  ],
});
