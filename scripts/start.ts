// `pnpm start`: the whole product end to end on this machine.
// Starts PostgreSQL/Redis (or embedded defaults), the four services as processes (internal mTLS,
// dev-mode auth), then, as a fresh demo clinician with a dev token: sets its profile, creates a
// SOAP-note SOP, imports ACI-Bench train.json as past encounters, extracts one valid.json transcript
// through the gateway's public API, prints the result, then stops everything.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { ContextStopReason } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { bearerInterceptor, clientCaller } from '@clinote/shared/grpc-client.js';
import { resolveInfra, serviceDatabases } from './lib/infra.js';
import { ServiceGroup, startServices } from './lib/processes.js';
import { prepareLocalSecrets } from './lib/secrets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const T = 120_000;
const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const train = loadAciBench('train');
  const valid = loadAciBench('valid');
  const target = valid[Number(process.env.DEMO_ENCOUNTER ?? 0)] ?? valid[0]!;

  say('clinote: structured clinical notes from visit transcripts');
  const infra = await resolveInfra(root);
  say(`  postgres   ${infra.postgresLabel}`);
  say(`  redis      ${infra.redisLabel}`);
  say(`  extractor  ${process.env.OPENAI_API_KEY ? `OpenAI-compatible endpoint ${process.env.OPENAI_BASE_URL ?? 'api.openai.com'}` : 'offline default (no OPENAI_API_KEY)'}`);

  const group = new ServiceGroup(root);
  try {
    // Each service as its own database role (row-level security applies), migrating as the migrator.
    const databases = await serviceDatabases(infra);
    // The demo always uses the local dev keys: it mints its own clinician's token.
    const secrets = await prepareLocalSecrets(root, { auth: 'dev' });
    const env = { REDIS_URL: infra.redisUrl, DB_POOL_MIN: '2', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
    const running = await startServices(group, {
      envFor: (service) => ({ ...env, ...databases.envFor(service), ...secrets.envFor(service) }),
      credentialsFor: (service) => secrets.credentialsFor(service),
      gatewayAddress: '127.0.0.1:0',
    });
    say(`  services   ${running.services.map((s) => `${s.name} :${s.port}`).join(', ')}  (logs in .data/logs/)`);
    say('  security   internal mTLS (throwaway CA in .data/pki), AUTH_MODE=dev tokens (local key in .data/dev-auth), one database role per service');

    // A fresh subject each run: its first call provisions a new clinician.
    const subject = `demo-${Date.now()}`;
    const token = await secrets.devToken(subject);
    const gateway = new GatewayServiceClient(running.address('gateway'), secrets.credentialsFor('gateway'), {
      interceptors: [bearerInterceptor(token)],
    });
    const call = clientCaller(gateway, T);

    const { user } = await call(gateway.createUser, { email: `${subject}@clinote.local`, displayName: 'Demo clinician' });
    const { sop } = await call(gateway.createSop, { userId: user!.id, name: 'SOAP note', sections: SOAP_NOTE_SECTIONS });
    say(`\nclinician ${user!.id} (token subject ${subject}); SOP "${sop!.name}" v${sop!.version} (${sop!.sections.length} sections)`);

    let started = performance.now();
    const imported = await call(gateway.importEncounters, {
      userId: user!.id,
      encounters: train.map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })),
    });
    say(`imported ${imported.importedCount} past encounters from aci-bench/train.json in ${(performance.now() - started).toFixed(0)} ms`);

    say(`extracting aci-bench/valid.json encounter ${target.file} (${target.src.length} characters)...`);
    started = performance.now();
    const { extraction, replayed } = await call(gateway.extract, {
      userId: user!.id,
      transcript: target.src,
      sopIds: [sop!.id],
      idempotencyKey: `demo-${target.file}-${user!.id}`,
      referenceNote: '',
    });
    const wall = performance.now() - started;
    const x = extraction!;

    for (const result of x.results) {
      say(`\n=== ${sop!.name} v${result.sopVersion}: structured result ===`);
      for (const section of result.sections) {
        say(`[${section.title}]`);
        for (const field of section.fields) {
          const value = field.items.length > 0 ? field.items.map((i) => `\n      - ${i}`).join('') : field.text || '(not found)';
          const flag = field.text || field.items.length > 0 ? (field.grounded ? ' [grounded]' : ' [UNGROUNDED]') : '';
          say(`  ${field.key}:${field.items.length > 0 ? '' : ' '}${value}${flag}`);
        }
      }
    }
    say('\n=== phases ===');
    for (const p of x.phaseTimings) say(`  ${p.phase.padEnd(34)} ${p.durationMs.toFixed(1).padStart(8)} ms`);
    say(`  ${'total (client wall clock)'.padEnd(34)} ${wall.toFixed(1).padStart(8)} ms`);
    say('\n=== context chosen ===');
    for (const c of x.context) {
      say(`  ${c.encounterId}  score ${c.score.toFixed(3)} (sim ${c.similarity.toFixed(2)}, med ${c.medicalRelevance.toFixed(2)}, quality ${c.extractionQuality.toFixed(2)}, completeness ${c.contextCompleteness.toFixed(2)}) ${c.tokens} tokens`);
    }
    say(`  stopped: ${ContextStopReason[x.contextStopReason]}`);
    const o = x.overall;
    if (o) {
      say(`\n=== evaluation ===\n  grounding ${(o.groundingRate * 100).toFixed(1)} %, completeness ${(o.completeness * 100).toFixed(1)} %, consistency ${(o.consistency * 100).toFixed(1)} %, numeric support ${(o.numericSupport * 100).toFixed(1)} %, overall ${o.overall.toFixed(3)}`);
    }
    say(`\nextraction ${x.id}${replayed ? ' (replayed)' : ''}`);
    say(`trace id ${x.traceId}`);
    gateway.close();
  } finally {
    const statuses = await group.stopAll();
    await infra.stop();
    say(`\nstopped ${statuses.size} services (exit codes ${[...statuses.values()].join(', ')})${infra.postgresLabel.startsWith('embedded') ? ' and embedded PostgreSQL' : ''}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
