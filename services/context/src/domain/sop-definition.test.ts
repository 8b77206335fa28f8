import { describe, expect, it } from 'vitest';
import { FieldType, type SopField } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ValidationError } from '@clinote/shared/errors.js';
import { validateSopDefinition } from './sop-definition.js';

const field = (type: number): SopField => ({ key: 'k', label: 'K', type, required: false, instructions: '', enumValues: ['a'], unit: '', codeSystem: '' });

function typeViolations(type: number): string[] {
  try {
    validateSopDefinition('SOP', [{ key: 's', title: 'S', instructions: '', fields: [field(type)] }]);
    return [];
  } catch (err: unknown) {
    if (err instanceof ValidationError) return err.violations.map((v) => v.field);
    throw err;
  }
}

describe('validateSopDefinition', () => {
  it('accepts every declared field type', () => {
    for (const type of [1, 2, 3, 4, 5, 6]) expect(typeViolations(type)).toEqual([]);
  });

  it('refuses an unset type and every number the enum does not declare, ts-proto UNRECOGNIZED (-1) included', () => {
    for (const type of [FieldType.FIELD_TYPE_UNSPECIFIED, FieldType.UNRECOGNIZED, 7, 99, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(typeViolations(type)).toEqual(['sections[0].fields[0].type']);
    }
  });
});
