/** Float32 values as bytes (platform order, little-endian on every machine we run), without copying. */
export function packVector(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/**
 * Float32 values from bytes, copied into an aligned buffer (Redis and pg hand out Buffers that share
 * larger pools at arbitrary offsets). Returns undefined when the length does not fit `dimensions`.
 */
export function unpackVector(bytes: Uint8Array, dimensions?: number): Float32Array | undefined {
  if (bytes.byteLength % 4 !== 0) return undefined;
  if (dimensions !== undefined && bytes.byteLength !== dimensions * 4) return undefined;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
