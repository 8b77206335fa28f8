// `pnpm serve`: the four services as separate processes, as in production, until SIGINT/SIGTERM.
// PostgreSQL/Redis as `pnpm start` finds them; internal mTLS with a throwaway CA under .data/pki;
// dev-mode auth (keys under .data/dev-auth) unless an identity provider is configured.
//   pnpm serve -- [--ready-file F] [--no-mtls]
// --ready-file F: once all four answer SERVING, F holds (written atomically)
//   {"gateway":"127.0.0.1:P","internal":{"context":…,"embedding":…,"extraction":…},"pids":{…}}
// Exits 0 after a clean stop; 1 when starting failed or a service had died meanwhile.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveInfra, serviceDatabases, type Infra } from './lib/infra.js';
import { ServiceGroup, startServices, type RunningServices } from './lib/processes.js';
import { INTERNAL_SERVICES, SERVICE_NAMES, prepareLocalSecrets } from './lib/secrets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line = '') => process.stdout.write(`${line}\n`);
const warn = (line: string) => process.stderr.write(`${line}\n`);
const rel = (p: string) => (path.relative(root, p).startsWith('..') ? p : path.relative(root, p));
const DEV_TOKEN_SUBJECT = 'dev';
const DEV_TOKEN_TTL_S = 12 * 3600;

export interface ReadyFile {
  gateway: string;
  internal: Record<(typeof INTERNAL_SERVICES)[number], string>;
  pids: Record<(typeof SERVICE_NAMES)[number], number>;
}

function gatewayPort(value: string | undefined): number {
  const port = Number(value ?? 50051);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid configuration: GATEWAY_PORT must be a port number (0: any free port), not ${value}`);
  return port;
}

function writeReadyFile(file: string, running: RunningServices): void {
  const ready: ReadyFile = {
    gateway: running.address('gateway'),
    internal: { context: running.address('context'), embedding: running.address('embedding'), extraction: running.address('extraction') },
    pids: Object.fromEntries(SERVICE_NAMES.map((name) => [name, running.get(name).child.pid!])) as ReadyFile['pids'],
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ready)}\n`);
  renameSync(tmp, file);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { 'ready-file': { type: 'string' }, 'no-mtls': { type: 'boolean', default: false } },
  });
  // pnpm runs scripts from the repository root; a relative path means the caller's directory.
  const readyFile = values['ready-file'] ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values['ready-file']) : undefined;
  const port = gatewayPort(process.env.GATEWAY_PORT);

  const group = new ServiceGroup(root);
  let signalled: (signal: NodeJS.Signals) => void = () => undefined;
  let signal: NodeJS.Signals | undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.on(s, () => {
      if (signal) {
        warn(`${s} again: killing the services`);
        group.killAll();
        return;
      }
      signal = s;
      signalled(s);
    });
  }

  let infra: Infra | undefined;
  let died = false;
  // Resolves when the run is over: a signal, or a failed start (which throws).
  const run = async (): Promise<void> => {
    say('clinote serve: the four services as separate processes (Ctrl-C stops them)');
    infra = await resolveInfra(root);
    const databases = await serviceDatabases(infra);
    say(`  postgres   ${infra.postgresLabel} (database ${databases.name}, one role per service)`);
    say(`  redis      ${infra.redisLabel}`);
    say(`  extractor  ${process.env.OPENAI_API_KEY ? `OpenAI-compatible endpoint ${process.env.OPENAI_BASE_URL ?? 'api.openai.com'}` : 'offline default (no OPENAI_API_KEY)'}`);
    const secrets = await prepareLocalSecrets(root, { auth: 'env', mutualTls: !values['no-mtls'] });
    say(
      secrets.devDir
        ? `  auth       AUTH_MODE=dev: tokens from the LOCAL key in ${rel(secrets.devDir)}, a stand-in for an identity provider`
        : `  auth       identity provider ${process.env.AUTH_JWKS_URL ?? process.env.AUTH_JWKS_FILE ?? '(see AUTH_*)'}, issuer ${process.env.AUTH_ISSUER ?? '(unset)'}`,
    );
    say(
      secrets.pki
        ? `  internal   mTLS, throwaway CA in ${rel(secrets.pki.dir)} (certificates until ${secrets.pkiValidUntil!.toISOString().slice(0, 10)}); identity key ${rel(secrets.identity.privateFile)}`
        : '  internal   PLAINTEXT (--no-mtls)',
    );
    if (signal) return;

    const common: NodeJS.ProcessEnv = {
      REDIS_URL: infra.redisUrl,
      DB_POOL_MIN: process.env.DB_POOL_MIN ?? '2',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    const starting = startServices(group, {
      envFor: (service) => ({ ...common, ...databases.envFor(service), ...secrets.envFor(service) }),
      credentialsFor: (service) => secrets.credentialsFor(service),
      gatewayAddress: `127.0.0.1:${port}`,
    });
    // A signal while starting stops the group, which makes `starting` fail: nobody waits for it then.
    starting.catch(() => undefined);
    const running = await Promise.race([starting, stopRequested.then(() => undefined)]);
    if (!running) return;

    for (const s of running.services) {
      void s.exited.then((status) => {
        if (signal) return;
        died = true;
        warn(`${s.name} exited unexpectedly (${status}); see ${rel(s.logFile)}. The others keep running until Ctrl-C.`);
      });
    }
    say(`  services   ${INTERNAL_SERVICES.map((name) => `${name} ${running.address(name)}`).join(', ')}  (logs in .data/logs/)`);
    say(`  gateway    ${running.address('gateway')} (${process.env.PUBLIC_TLS_CERT ? 'TLS' : 'plaintext'}; every call needs a bearer token, reflection and health do not)`);
    // Everything is said before the ready file appears: a watcher of the file finds the token printed.
    if (secrets.devDir) {
      const token = await secrets.devToken(DEV_TOKEN_SUBJECT, DEV_TOKEN_TTL_S);
      say(`dev token for subject "${DEV_TOKEN_SUBJECT}" (12 h; \`npx -y pnpm@10.34.9 -s token -- --sub NAME\` mints others):`);
      say(`export TOKEN=${token}`);
      say('');
    }
    say(`ready: all four services SERVING${readyFile ? ` (${rel(readyFile)})` : ''}`);
    if (readyFile) writeReadyFile(readyFile, running);
    await stopRequested;
  };

  let failed = false;
  try {
    await run();
  } catch (err: unknown) {
    failed = true;
    warn(`serve failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const statuses = await group.stopAll();
  if (readyFile) rmSync(readyFile, { force: true });
  await (infra as Infra | undefined)?.stop().catch((err: unknown) => warn(`stopping embedded PostgreSQL failed: ${String(err)}`));
  if (statuses.size > 0) say(`stopped ${statuses.size} services (${[...statuses].map(([name, status]) => `${name} ${status}`).join(', ')})`);
  const clean = [...statuses.values()].every((status) => status === 0);
  return failed || died || !clean ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    warn(`serve failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
