import { EmbeddingCacheEntrySchema } from './embedding-cache-entry.js';

export { EmbeddingCacheEntry, EmbeddingCacheEntrySchema } from './embedding-cache-entry.js';

/** Every entity of the embedding service, for `MikroORM.init({ entities })`. */
export const embeddingEntities = [EmbeddingCacheEntrySchema];
