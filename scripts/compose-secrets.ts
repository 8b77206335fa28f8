// Compose's one-shot `secrets` service: fills each service's secrets volume (mounted at
// /secrets/<service>) unless what is there is present and fresh. See writeComposeSecrets.
//   node --import tsx scripts/compose-secrets.ts /secrets
import { writeComposeSecrets } from './lib/secrets.js';

const base = process.argv.slice(2).find((a) => a !== '--') ?? '/secrets';
writeComposeSecrets(base).then(
  () => process.stdout.write(`secrets ready under ${base}\n`),
  (err: unknown) => {
    process.stderr.write(`secrets failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
