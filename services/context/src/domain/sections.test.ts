import { describe, expect, it } from 'vitest';
import {
  canonicalSectionName,
  contextCompleteness,
  filledSectionsOf,
  noteSections,
  sectionNamesCovered,
} from './sections.js';
import { field, section, sop } from './test-fixtures.js';

const ACI_NOTE = `CHIEF COMPLAINT

Annual exam.

HISTORY OF PRESENT ILLNESS

Martha is a 50-year-old female with hypertension.
COPD.
BP: 120/80.

REVIEW OF SYSTEMS

• Cardiovascular: Denies chest pain.

PHYSICAL EXAMINATION

MSK: tender right knee.

RESULTS

ASSESSMENT AND PLAN

1. Hypertension: continue lisinopril.
`;

describe('note sections', () => {
  it('splits a rendered note on upper-case header lines, keeping content-like capitals as content', () => {
    const sections = noteSections(ACI_NOTE);
    expect([...sections.keys()]).toEqual([
      'chief complaint',
      'history of present illness',
      'review of systems',
      'physical examination',
      'results',
      'assessment and plan',
    ]);
    expect(sections.get('history of present illness')).toContain('COPD.');
    expect(sections.get('history of present illness')).toContain('BP: 120/80.');
    expect(sections.get('physical examination')).toBe('MSK: tender right knee.');
    expect(sections.get('results')).toBe('');
  });

  it('reads inline "HPI:" style headers', () => {
    const sections = noteSections('CC: knee pain\nHPI: fell skiing.\nmore text\nA/P:\nbrace');
    expect(sections.get('chief complaint')).toBe('knee pain');
    expect(sections.get('history of present illness')).toBe('fell skiing.\nmore text');
    expect(sections.get('assessment and plan')).toBe('brace');
  });

  it('normalises synonyms and composite headers', () => {
    expect(canonicalSectionName('HPI')).toBe('history of present illness');
    expect(canonicalSectionName('History of Present Illness:')).toBe('history of present illness');
    expect(canonicalSectionName('PHYSICAL EXAM')).toBe('physical examination');
    expect(canonicalSectionName('physical_examination')).toBe('physical examination');
    expect(canonicalSectionName('A/P')).toBe('assessment and plan');
    expect(canonicalSectionName('Assessment & Plan')).toBe('assessment and plan');
    expect(sectionNamesCovered('ASSESSMENT AND PLAN').sort()).toEqual(['assessment', 'assessment and plan', 'plan']);
    expect(sectionNamesCovered('PHYSICAL EXAM')).toContain('objective');
  });

  it('filled sections skip empty sections and include result keys', () => {
    const filled = filledSectionsOf(ACI_NOTE, ['vitals.blood_pressure']);
    expect(filled).toContain('history of present illness');
    expect(filled).toContain('subjective');
    expect(filled).toContain('plan');
    expect(filled).not.toContain('results');
    expect(filled).toContain('vital signs.blood pressure');
    expect(filled).toContain('blood pressure');
  });
});

describe('context completeness', () => {
  const soap = sop('soap', [
    section('Subjective', [field('Chief complaint'), field('HPI'), field('Allergies', false)]),
    section('Objective', [field('Physical exam')]),
    section('Assessment'),
    section('Plan'),
  ]);

  it('is the share of sections and required fields filled', () => {
    // 4 sections + 3 required fields = 7 requirements.
    expect(contextCompleteness([soap], filledSectionsOf(ACI_NOTE))).toBe(1);
    expect(contextCompleteness([soap], ['chief complaint'])).toBeCloseTo(2 / 7, 10); // field + Subjective
    expect(contextCompleteness([soap], ['ASSESSMENT'])).toBeCloseTo(1 / 7, 10);
    expect(contextCompleteness([soap], [])).toBe(0);
  });

  it('matches field keys qualified by their section', () => {
    const vitals = sop('vitals', [section('Vitals', [field('Blood pressure'), field('Heart rate')])]);
    expect(contextCompleteness([vitals], ['vitals.blood_pressure'])).toBeCloseTo(2 / 3, 10);
    expect(contextCompleteness([vitals], ['vital signs', 'heart_rate', 'blood pressure'])).toBe(1);
  });

  it('spans several SOPs and is 1 when nothing is required', () => {
    const plan = sop('plan', [section('Plan')]);
    expect(contextCompleteness([soap, plan], ['plan'])).toBeCloseTo(2 / 8, 10);
    expect(contextCompleteness([], ['plan'])).toBe(1);
  });
});
