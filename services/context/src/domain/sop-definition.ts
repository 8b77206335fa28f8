import { FieldType, type Sop, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { SopEntity } from '../entities/sop.js';

const KEY = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_SECTIONS = 50;
const MAX_FIELDS = 100;
const MAX_TEXT = 4000;

/** Checks a SOP definition; every problem is reported with the path of the offending field. */
export function validateSopDefinition(name: string, sections: SopSection[]): void {
  const violations: FieldViolation[] = [];
  if (!name.trim()) violations.push({ field: 'name', description: 'must not be empty' });
  if (name.length > 200) violations.push({ field: 'name', description: 'must be at most 200 characters' });
  if (sections.length === 0) violations.push({ field: 'sections', description: 'a SOP needs at least one section' });
  if (sections.length > MAX_SECTIONS) violations.push({ field: 'sections', description: `at most ${MAX_SECTIONS} sections` });
  const sectionKeys = new Set<string>();
  sections.forEach((section, i) => {
    const at = `sections[${i}]`;
    if (!KEY.test(section.key)) violations.push({ field: `${at}.key`, description: 'must be lower_snake_case, 1-64 characters' });
    else if (sectionKeys.has(section.key)) violations.push({ field: `${at}.key`, description: 'duplicate section key' });
    sectionKeys.add(section.key);
    if (!section.title.trim()) violations.push({ field: `${at}.title`, description: 'must not be empty' });
    if (section.instructions.length > MAX_TEXT) violations.push({ field: `${at}.instructions`, description: `at most ${MAX_TEXT} characters` });
    if (section.fields.length === 0) violations.push({ field: `${at}.fields`, description: 'a section needs at least one field' });
    if (section.fields.length > MAX_FIELDS) violations.push({ field: `${at}.fields`, description: `at most ${MAX_FIELDS} fields` });
    const fieldKeys = new Set<string>();
    section.fields.forEach((field, j) => {
      const fat = `${at}.fields[${j}]`;
      if (!KEY.test(field.key)) violations.push({ field: `${fat}.key`, description: 'must be lower_snake_case, 1-64 characters' });
      else if (fieldKeys.has(field.key)) violations.push({ field: `${fat}.key`, description: 'duplicate field key in section' });
      fieldKeys.add(field.key);
      // ts-proto's UNRECOGNIZED (-1) is a member of the enum object, not a field type.
      if (field.type === FieldType.FIELD_TYPE_UNSPECIFIED || field.type === FieldType.UNRECOGNIZED || !(field.type in FieldType)) {
        violations.push({ field: `${fat}.type`, description: 'must be set' });
      }
      if (field.type === FieldType.FIELD_TYPE_ENUM && field.enumValues.length === 0) {
        violations.push({ field: `${fat}.enum_values`, description: 'enum fields need at least one value' });
      }
      if (field.instructions.length > MAX_TEXT) violations.push({ field: `${fat}.instructions`, description: `at most ${MAX_TEXT} characters` });
    });
  });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid SOP');
}

export function sopFromEntity(entity: SopEntity): Sop {
  return {
    id: entity.id,
    userId: entity.userId,
    name: entity.name,
    version: entity.version,
    active: entity.isActive,
    sections: entity.sections,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}
