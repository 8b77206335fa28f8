import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertEmbeddedPostgresCanRun, firstUntraversable } from './infra.js';

describe('embedded PostgreSQL under a private folder', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'clinote-infra-'));
  chmodSync(base, 0o755);
  const home = path.join(base, 'home');
  const checkout = path.join(home, 'work', 'clinote');
  mkdirSync(checkout, { recursive: true });

  it('finds the first folder the postgres user cannot enter', () => {
    chmodSync(home, 0o700);
    expect(firstUntraversable(checkout)).toBe(home);
    chmodSync(home, 0o755);
    expect(firstUntraversable(checkout)).toBeUndefined();
  });

  it.runIf(process.getuid?.() === 0)('stops at once with what to do, instead of an EACCES stack from initdb', () => {
    chmodSync(home, 0o700);
    try {
      const run = (): void => assertEmbeddedPostgresCanRun(checkout);
      expect(run).toThrow(`cannot enter ${home} (mode 0700)`);
      expect(run).toThrow(`chmod o+x ${home}`);
      expect(run).toThrow('DATABASE_URL');
    } finally {
      chmodSync(home, 0o755);
    }
  });
});
