// `pnpm -s token -- --sub NAME [--ttl SECONDS]`: a bearer token from the dev-mode key (the one
// `pnpm serve` uses, AUTH_DEV_DIR relative to the repository root, default .data/dev-auth).
// Prints only the token on stdout (`-s` keeps pnpm's own banner out of it).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { keyPairFiles } from '@clinote/shared/auth/keys.js';
import { ensureDevAuth } from '@clinote/shared/auth/dev-auth.js';
import { devAuthDir, mintLocalToken } from './lib/secrets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_TTL_S = 30 * 24 * 3600;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { sub: { type: 'string' }, ttl: { type: 'string' } },
  });
  const subject = values.sub?.trim();
  if (!subject) throw new Error('usage: pnpm -s token -- --sub NAME [--ttl SECONDS]');
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_S)) {
    throw new Error(`--ttl must be a whole number of seconds between 1 and ${MAX_TTL_S}`);
  }
  const dir = devAuthDir(root);
  if (!existsSync(keyPairFiles(dir, 'access').privateFile)) {
    // The same keys `pnpm serve` would create; said, so a mistyped AUTH_DEV_DIR does not go unnoticed.
    await ensureDevAuth(dir);
    process.stderr.write(`created new dev keys in ${dir}\n`);
  }
  process.stdout.write(`${await mintLocalToken(dir, subject, ttl)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
