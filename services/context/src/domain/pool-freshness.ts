/**
 * Where a clinician's encounter history stands: `seq` rises with every encounter stored (each keeps
 * its own), `generation` changes whenever encounters are deleted. No row reads as { 0, 0 }.
 */
export interface HistoryMark {
  seq: number;
  generation: number;
}

export const EMPTY_HISTORY: HistoryMark = { seq: 0, generation: 0 };

/**
 * What a warm pool needs given the stored mark: nothing, only the encounters stored after its seq,
 * or a reload (a deletion since, or a pool that knows no mark). Saves alone never force a reload:
 * a stored seq below the pool's, in the same generation, was read before a save this pool already
 * took (seq only rises within a generation; a recreated mark has a new one), so the pool is current.
 */
export type PoolRefresh = 'current' | 'newer' | 'reload';

export function poolRefresh(pool: HistoryMark | undefined, stored: HistoryMark): PoolRefresh {
  if (!pool || pool.generation !== stored.generation) return 'reload';
  return stored.seq <= pool.seq ? 'current' : 'newer';
}

/** The later of two marks of one generation (concurrent refreshes may finish in any order). */
export function laterMark(a: HistoryMark | undefined, b: HistoryMark): HistoryMark {
  return a && a.generation === b.generation && a.seq > b.seq ? a : b;
}
