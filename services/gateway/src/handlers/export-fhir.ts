import type { ExportFhirRequest, ExportFhirResponse } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { NotFoundError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { actingUserId } from '../auth/acting-user.js';
import { extractionFromEncounter } from '../domain/extraction-view.js';
import type { GatewayDeps } from '../deps.js';
import { documentBundle } from '../fhir/document-bundle.js';
import { peersFor } from '../peers.js';

/** A FHIR literal reference of one type, e.g. "Patient/123" (FHIR ids: 1-64 of [A-Za-z0-9-.]). */
const REFERENCE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The caller's saved extraction as a FHIR R4 document Bundle (JSON). */
export async function exportFhir(deps: GatewayDeps, req: ExportFhirRequest, ctx: CallContext): Promise<ExportFhirResponse> {
  const userId = actingUserId(ctx, req.userId);
  requireUuids({ extraction_id: req.extractionId });
  validateReferences(req);
  const { encounter } = await peersFor(deps, ctx).context((c) => c.getEncounter, {
    userId,
    encounterId: req.extractionId,
    extractionsOnly: true,
  });
  if (!encounter) throw new NotFoundError('extraction', req.extractionId);
  const refs = { patient: req.patientReference, practitioner: req.practitionerReference, encounter: req.encounterReference };
  const bundle = documentBundle(extractionFromEncounter(encounter), refs, new Date());
  return { bundleJson: JSON.stringify(bundle) };
}

function validateReferences(req: ExportFhirRequest): void {
  const violations: FieldViolation[] = [];
  const check = (field: string, value: string, type: string) => {
    if (!value) return;
    const [kind, id, ...rest] = value.split('/');
    if (kind !== type || !id || rest.length > 0 || !REFERENCE_ID.test(id)) violations.push({ field, description: `must be ${type}/<id>` });
  };
  check('patient_reference', req.patientReference, 'Patient');
  check('practitioner_reference', req.practitionerReference, 'Practitioner');
  check('encounter_reference', req.encounterReference, 'Encounter');
  if (violations.length > 0) throw new ValidationError(violations, 'invalid references');
}
