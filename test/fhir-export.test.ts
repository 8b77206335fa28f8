// ExportFhir through the real mesh: every extraction of the ACI-Bench valid set (read from the shared
// data folder, never copied) exported as a document Bundle, the Bundle and each of its resources
// validated against the FHIR R4 base definitions (@medplum/core's validator), the Bundle's document
// invariants, and the RPC's authorization and audit.
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadR4Definitions, validationErrors, type ValidatableResource } from './support/fhir-validator.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import type { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { EVIDENCE_EXTENSION } from '@clinote/gateway/fhir/document-bundle.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

initTelemetry({ serviceName: 'clinote-test', spanExporter: new InMemorySpanExporter() });

type Resource = ValidatableResource;
interface Bundle {
  resourceType: 'Bundle';
  type: string;
  identifier?: { value?: string };
  timestamp?: string;
  entry?: Array<{ fullUrl?: string; resource?: Resource }>;
}

const valid = loadAciBench('valid');
const ADMIN = `admin-${randomUUID()}`;

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let userId: string;
let sopIds: string[];

beforeAll(async () => {
  loadR4Definitions();
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_fhir');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '', env: { AUTH_ADMIN_SUBJECTS: ADMIN } });
  userId = (await call(mesh.client, mesh.client.createUser, { email: 'fhir@test.local', displayName: 'fhir' })).user!.id;
  sopIds = [
    (await call(mesh.client, mesh.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!.id,
    (await call(mesh.client, mesh.client.createSop, { userId: '', name: 'ACI', sections: ACI_BENCH_SECTIONS })).sop!.id,
  ];
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

async function exported(client: GatewayServiceClient, extractionId: string, refs = { patient: '', practitioner: '', encounter: '' }): Promise<Bundle> {
  const { bundleJson } = await call(client, client.exportFhir, {
    userId: '',
    extractionId,
    patientReference: refs.patient,
    practitionerReference: refs.practitioner,
    encounterReference: refs.encounter,
  });
  return JSON.parse(bundleJson) as Bundle;
}

it('exports every ACI-Bench valid extraction as a valid FHIR R4 document Bundle', { timeout: 120_000 }, async () => {
  const counts = { bundles: 0, resources: 0, errors: 0, byType: {} as Record<string, number> };
  const errors: string[] = [];
  let bundleOfFirst: Bundle | undefined;
  for (const [i, encounter] of valid.entries()) {
    const { extraction } = await call(mesh.client, mesh.client.extract, { userId: '', transcript: encounter.src, sopIds, idempotencyKey: '', referenceNote: '' });
    const refs = i % 2 === 0 ? { patient: `Patient/p${i}`, practitioner: 'Practitioner/dr-1', encounter: `Encounter/e${i}` } : { patient: '', practitioner: '', encounter: '' };
    const bundle = await exported(mesh.client, extraction!.id, refs);

    // Document invariants (bdl-9, -10, -11 and fullUrls), and every Composition reference resolving inside the Bundle.
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    expect(bundle.identifier?.value).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(bundle.timestamp!))).toBe(false);
    const entries = bundle.entry!;
    expect(entries[0]!.resource!.resourceType).toBe('Composition');
    for (const entry of entries) expect(entry.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(new Set(entries.map((e) => e.fullUrl)).size).toBe(entries.length);
    const urls = new Set(entries.map((e) => e.fullUrl));
    const composition = entries[0]!.resource as { section: Array<{ entry?: Array<{ reference: string }> }>; subject: { reference: string } };
    for (const ref of composition.section.flatMap((s) => s.entry ?? [])) expect(urls.has(ref.reference)).toBe(true);
    expect(composition.subject.reference).toBe(refs.patient || entries.find((e) => e.resource!.resourceType === 'Patient')!.fullUrl);

    for (const resource of [bundle as unknown as Resource, ...entries.map((e) => e.resource!)]) {
      counts.resources++;
      counts.byType[resource.resourceType] = (counts.byType[resource.resourceType] ?? 0) + 1;
      const issues = validationErrors(resource);
      counts.errors += issues.length;
      for (const issue of issues) errors.push(`${resource.resourceType}: ${issue.details?.text ?? ''} ${issue.expression?.join() ?? ''}`);
    }
    // Discrete resources point at their evidence in the transcript.
    for (const entry of entries.slice(1)) {
      const extensions = (entry.resource as { extension?: Array<{ url: string; extension: Array<{ url: string; valueInteger: number }> }> }).extension ?? [];
      for (const ext of extensions.filter((e) => e.url === EVIDENCE_EXTENSION)) {
        const [start, end] = ext.extension.map((e) => e.valueInteger);
        expect(0 <= start! && start! <= end! && end! <= encounter.src.length).toBe(true);
      }
    }
    counts.bundles++;
    bundleOfFirst ??= bundle;
  }
  console.log('FHIR validation:', JSON.stringify(counts), errors.slice(0, 10));
  expect(errors).toEqual([]);
  expect(counts.bundles).toBe(valid.length);
  // The offline extractor fills no allergies on this set: AllergyIntolerance is covered by document-bundle.test.ts.
  for (const type of ['Composition', 'Condition', 'MedicationStatement', 'Observation']) expect(counts.byType[type] ?? 0).toBeGreaterThan(0);
  // The validator is live: a Condition without its required subject fails it.
  const condition = bundleOfFirst!.entry!.find((e) => e.resource!.resourceType === 'Condition')!.resource as unknown as Record<string, unknown>;
  const { subject: _subject, ...withoutSubject } = condition;
  expect(validationErrors(withoutSubject as unknown as Resource).length).toBeGreaterThan(0);
});

it('exports only the owner\'s extractions (NOT_FOUND for others), refuses malformed references, and audits each call', async () => {
  const { extraction } = await call(mesh.client, mesh.client.extract, { userId: '', transcript: valid[0]!.src, sopIds, idempotencyKey: '', referenceNote: '' });
  expect((await exported(mesh.client, extraction!.id)).entry![0]!.resource!.resourceType).toBe('Composition');
  const stranger = await mesh.clientAs(`stranger-${randomUUID()}`);
  await call(stranger, stranger.createUser, { email: 'stranger@test.local', displayName: 'stranger' });
  expect((await refusal(exported(stranger, extraction!.id))).code).toBe(status.NOT_FOUND);
  expect((await refusal(exported(mesh.client, randomUUID()))).code).toBe(status.NOT_FOUND);
  const bad = await refusal(exported(mesh.client, extraction!.id, { patient: 'Practitioner/1', practitioner: '', encounter: 'Encounter/a/b' }));
  expect(bad.code).toBe(status.INVALID_ARGUMENT);
  expect(bad.violations.map((v) => v.field)).toEqual(['patient_reference', 'encounter_reference']);
  const notUuid = await refusal(exported(mesh.client, 'nope'));
  expect(notUuid.code).toBe(status.INVALID_ARGUMENT);

  const auditor = await mesh.clientAs(ADMIN);
  const page = await call(auditor, auditor.listAuditEvents, { userId, startTime: undefined, endTime: undefined, pageSize: 500, pageToken: '' });
  const records = page.events.filter((e) => e.rpc === 'ExportFhir' && e.resourceId === extraction!.id);
  expect(records.map((r) => r.outcome).sort()).toEqual(['INVALID_ARGUMENT', 'OK']);
});
