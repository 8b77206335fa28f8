import { describe, expect, it } from 'vitest';
import { laterMark, poolRefresh } from './pool-freshness.js';

describe('poolRefresh', () => {
  it('is current at the same mark, loads only newer encounters after saves', () => {
    expect(poolRefresh({ seq: 4, generation: 7 }, { seq: 4, generation: 7 })).toBe('current');
    expect(poolRefresh({ seq: 4, generation: 7 }, { seq: 9, generation: 7 })).toBe('newer');
  });

  it('takes a mark read before a save the pool already holds as current, not as a reason to reload', () => {
    expect(poolRefresh({ seq: 4, generation: 7 }, { seq: 3, generation: 7 })).toBe('current');
  });

  it('reloads after a deletion, an erasure, or without a mark', () => {
    expect(poolRefresh({ seq: 4, generation: 7 }, { seq: 4, generation: 8 })).toBe('reload');
    expect(poolRefresh({ seq: 4, generation: 7 }, { seq: 0, generation: 0 })).toBe('reload');
    expect(poolRefresh(undefined, { seq: 0, generation: 0 })).toBe('reload');
  });
});

describe('laterMark', () => {
  it('keeps the higher seq of one generation, and the stored mark across generations', () => {
    expect(laterMark({ seq: 5, generation: 1 }, { seq: 3, generation: 1 })).toEqual({ seq: 5, generation: 1 });
    expect(laterMark({ seq: 2, generation: 1 }, { seq: 3, generation: 1 })).toEqual({ seq: 3, generation: 1 });
    expect(laterMark({ seq: 9, generation: 1 }, { seq: 3, generation: 2 })).toEqual({ seq: 3, generation: 2 });
    expect(laterMark(undefined, { seq: 3, generation: 2 })).toEqual({ seq: 3, generation: 2 });
  });
});
