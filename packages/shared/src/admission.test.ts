import { describe, expect, it } from 'vitest';
import { Admission, AdmissionRefusedError } from './admission.js';

describe('Admission', () => {
  it('runs calls up to its bound and refuses the next at once, then admits again when one ends', async () => {
    const admission = new Admission(2);
    const releases: Array<() => void> = [];
    const held = () => new Promise<void>((resolve) => releases.push(resolve));
    const first = admission.run(held);
    const second = admission.run(held);
    await expect(admission.run(async () => 'third')).rejects.toBeInstanceOf(AdmissionRefusedError);
    expect(admission.current).toBe(2);
    releases[0]!();
    await first;
    await expect(admission.run(async () => 'fourth')).resolves.toBe('fourth');
    releases[1]!();
    await second;
    expect(admission.current).toBe(0);
  });

  it('frees its slot when the call fails', async () => {
    const admission = new Admission(1);
    await expect(admission.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(admission.run(async () => 1)).resolves.toBe(1);
  });
});
