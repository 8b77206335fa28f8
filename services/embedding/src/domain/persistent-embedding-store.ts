/** The tier that survives restarts of the service and of Redis. Keys are cache keys (digests). */
export interface PersistentEmbeddingStore {
  /** Vectors for the keys it holds; also records the use, so the hot set stays current. */
  getMany(keys: string[]): Promise<Map<string, Float32Array>>;
  putMany(entries: { key: string; model: string; vector: Float32Array }[]): Promise<void>;
  /** The most recently used entries, for warming the in-process tier at start. */
  hottest(limit: number): Promise<{ key: string; vector: Float32Array }[]>;
  count(): Promise<number>;
}
