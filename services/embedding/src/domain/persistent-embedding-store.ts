/**
 * The tier that survives restarts of the service and of Redis. Keys are cache keys (per-user HMACs);
 * every read and write names the user it acts for, so each statement touches one user's rows only.
 */
export interface PersistentEmbeddingStore {
  /** The user's vectors for the keys it holds; also records the use, so the hot set stays current. */
  getMany(userId: string, keys: string[]): Promise<Map<string, Float32Array>>;
  putMany(userId: string, entries: { key: string; model: string; vector: Float32Array }[]): Promise<void>;
  /** The most recently used entries (of every user), for warming the in-process tier at start. */
  hottest(limit: number): Promise<{ userId: string; key: string; vector: Float32Array }[]>;
  count(): Promise<number>;
  /** Deletes every entry of the user; how many there were (0 when already erased). */
  eraseUser(userId: string): Promise<number>;
}
