// Decoding allocates an object or a string per field: 16 MB of empty sub-messages (a SOP section
// with eight million fields) cost 1 GB and 4.5 s of the event loop before any bound could look at
// them. The wire is counted first, without allocating anything: the message's fields and, at any
// depth, those of every length-delimited payload that reads as a message. The scan visits each byte
// once (a payload is scanned by its own frame and skipped by its parent); a string that happens to
// read as fields only counts more.

/** Far above any real request (a 50 × 100-field SOP is ~40k fields); decoding this many takes ~0.5 s. */
export const MAX_WIRE_FIELDS = 1_000_000;
const MAX_NESTING = 32;

/** True when `bytes`, read as a protobuf message, hold more than `budget` fields, nested ones included. */
export function exceedsFieldBudget(bytes: Uint8Array, budget = MAX_WIRE_FIELDS): boolean {
  let total = 0;
  /** Scans [pos, end) as fields; stops at the first byte that is not one (the decoder reports it). */
  const scan = (start: number, end: number, depth: number): void => {
    let pos = start;
    while (pos < end) {
      let key = 0;
      for (let shift = 0; ; shift += 7) {
        if (pos >= end || shift > 28) return;
        const b = bytes[pos++]!;
        key += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
      }
      const wire = key % 8;
      if (key < 8 || wire > 5) return;
      if (++total > budget) return;
      if (wire === 0) {
        for (let i = 0; ; i++) {
          if (pos >= end || i >= 10) return;
          if (bytes[pos++]! < 0x80) break;
        }
      } else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        let len = 0;
        for (let shift = 0; ; shift += 7) {
          if (pos >= end || shift > 28) return;
          const b = bytes[pos++]!;
          len += (b & 0x7f) * 2 ** shift;
          if (b < 0x80) break;
        }
        if (len > end - pos) return;
        if (depth < MAX_NESTING) scan(pos, pos + len, depth + 1);
        if (total > budget) return;
        pos += len;
      }
      // Groups (3, 4) carry nothing of their own: their contents are the fields that follow.
    }
  };
  scan(0, bytes.length, 0);
  return total > budget;
}
