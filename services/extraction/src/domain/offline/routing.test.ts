import { describe, expect, it } from 'vitest';
import { FieldType, type SopField, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { FIELD_ROUTES, routeField } from './routing.js';

const field = (key: string, label: string, type = FieldType.FIELD_TYPE_TEXT): SopField => ({ key, label, type, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '' });
const section = (title: string, fields: SopField[]): SopSection => ({ key: title.toLowerCase().replace(/\W+/g, '_'), title, instructions: '', fields });
const kind = (title: string, f: SopField, others: SopField[] = []) => routeField(section(title, [f, ...others]), f);

describe('routeField', () => {
  it.each([
    ['SUBJECTIVE', field('medications', 'Medications', FieldType.FIELD_TYPE_LIST), { kind: 'history_part', part: 'medications', ownSection: false }],
    ['SOCIAL HISTORY', field('text', 'Social history'), { kind: 'history_part', part: 'social_history', ownSection: true }],
    ['OBJECTIVE', field('heart_rate', 'Heart rate', FieldType.FIELD_TYPE_NUMBER), { kind: 'vital', vital: 'heart_rate' }],
    ['SUBJECTIVE', field('drug_list', 'Drugs taken'), { kind: 'lookup' }],
    ['ASSESSMENT AND PLAN', field('text', 'Assessment and plan'), { kind: 'assessment_plan' }],
    ['ASSESSMENT', field('assessment', 'Assessment'), { kind: 'assessment' }],
    ['PLAN', field('plan', 'Plan', FieldType.FIELD_TYPE_LIST), { kind: 'plan' }],
    ['SUBJECTIVE', field('chief_complaint', 'Chief complaint'), { kind: 'chief_complaint' }],
    ['SUBJECTIVE', field('history_of_present_illness', 'History of present illness'), { kind: 'history', sources: ['history'] }],
    ['OBJECTIVE', field('physical_exam', 'Physical examination'), { kind: 'sections', sources: ['physical_exam'] }],
    ['OBJECTIVE', field('results', 'Results'), { kind: 'sections', sources: ['results'] }],
    ['NOTES', field('misc', 'Anything else'), { kind: 'sections', sources: [] }],
  ] as const)('%s / %s routes to %o', (title, f, expected) => {
    const others = title === 'SUBJECTIVE' || title === 'OBJECTIVE' ? [field('other', 'Other')] : [];
    expect(kind(title, f, others)).toMatchObject(expected);
  });

  it('routes every field of the bundled SOPs to some builder', () => {
    for (const s of [...ACI_BENCH_SECTIONS, ...SOAP_NOTE_SECTIONS])
      for (const f of s.fields) expect(routeField(s, f).kind === 'sections' ? (routeField(s, f) as { sources: string[] }).sources.length : 1).toBeGreaterThan(0);
  });

  it('keeps rows in an order where the specific ones come first and the last always matches', () => {
    expect(FIELD_ROUTES.at(-1)!.route(section('X', [field('x', 'X')]), field('x', 'X'))).toBeDefined();
    expect(FIELD_ROUTES[0]!.name).toMatch(/history part/);
  });
});
