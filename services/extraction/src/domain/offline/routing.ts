import type { SopField, SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { historyPartOf, type HistoryPart } from './history-parts.js';
import { sectionOfHeader, type NoteSection } from './sections.js';
import { vitalKindOf, type VitalKind } from './vitals.js';

// Which builder fills a SOP field: the routing of the offline extractor, as one table. A new kind of
// field gets a row here (and a case in the extractor's fillField); routing.test.ts pins every row.

// Words that tie a SOP field or section to a model section when its title is not a known header.
const SECTION_CUES: [RegExp, NoteSection[]][] = [
  [/\b(chief complaint|reason for (the )?visit|presenting complaint)\b/, ['chief_complaint']],
  [/\b(history|hpi|subjective|symptom|medication|allerg)/, ['history']],
  [/\b(review of systems|ros)\b/, ['review_of_systems']],
  [/\b(exam|vital|blood pressure|heart rate|pulse|temperature|objective)/, ['physical_exam']],
  [/\b(result|lab|imaging|x-ray|test)/, ['results']],
  [/\b(assessment|plan|impression|diagnos|treatment|follow)/, ['assessment_plan']],
];

/** Which model sections feed a SOP field: its own label first, then its section's title. */
export function sourcesFor(section: SopSection, field: SopField): NoteSection[] {
  const direct = sectionOfHeader(field.label) ?? sectionOfHeader(field.key.replace(/_/g, ' '));
  if (direct) return [direct];
  const fieldText = `${field.label} ${field.key.replace(/_/g, ' ')} ${field.instructions}`.toLowerCase();
  for (const [re, sections] of SECTION_CUES) if (re.test(`${field.label} ${field.key.replace(/_/g, ' ')}`.toLowerCase())) return sections;
  const bySection = sectionOfHeader(section.title);
  if (bySection) return [bySection];
  for (const [re, sections] of SECTION_CUES) if (re.test(fieldText)) return sections;
  const title = section.title.toLowerCase();
  if (/subjective/.test(title)) return ['chief_complaint', 'history', 'review_of_systems'];
  if (/objective/.test(title)) return ['physical_exam', 'results'];
  return [];
}

// Field-specific filters applied to a source section's statements (what makes a line a medication, ...).
export const FIELD_FILTERS: [RegExp, RegExp][] = [
  [/medication|drug|prescription/, /\b(\d+ ?mg|milligrams?|taking|takes|prescri|medication|medicine|pills?|tablets?|dose)\b/i],
  [/allerg/, /\ballerg/i],
];

/** Which part of the assessment and plan a field holds, from its label (or its section's title). */
export function planRole(section: SopSection, field: SopField): 'assessment_plan' | 'assessment' | 'plan' | undefined {
  const own = `${field.label} ${field.key.replace(/_/g, ' ')}`.toLowerCase();
  const text = sourcesFor(section, field).includes('assessment_plan') ? own : '';
  const assessment = /\b(assessment|impression|diagnos[ie]s|problems?)\b/.test(text);
  const plan = /\bplan\b/.test(text);
  if (assessment && plan) return 'assessment_plan';
  if (assessment) return 'assessment';
  if (plan) return 'plan';
  return undefined;
}

/** Where a field's value comes from. */
export type FieldRoute =
  /** A history part (medications, social history, vitals, ...): its own builder. */
  | { kind: 'history_part'; part: HistoryPart; ownSection: boolean }
  /** One dictated vital sign. */
  | { kind: 'vital'; vital: VitalKind }
  /** Statements of the whole transcript that match a filter (medications, allergies named outside a part). */
  | { kind: 'lookup'; filter: RegExp }
  | { kind: 'assessment_plan' }
  | { kind: 'assessment' }
  | { kind: 'plan' }
  | { kind: 'chief_complaint' }
  /** The history of present illness: the summary, the history's statements, the symptom review. */
  | { kind: 'history'; sources: NoteSection[] }
  /** The selected statements of these model sections. */
  | { kind: 'sections'; sources: NoteSection[] };

interface RouteRule {
  /** What the row is for, for the tests and a reader. */
  name: string;
  route: (section: SopSection, field: SopField) => FieldRoute | undefined;
}

const fieldKey = (field: SopField): string => `${field.label} ${field.key.replace(/_/g, ' ')}`.toLowerCase();

/** The rows, first match wins. */
export const FIELD_ROUTES: readonly RouteRule[] = [
  {
    name: 'history part by label, or by the title of a one-field section',
    route: (section, field) => {
      const part = historyPartOf(field.label) ?? (section.fields.length === 1 ? historyPartOf(section.title) : undefined);
      return part ? { kind: 'history_part', part, ownSection: section.fields.length === 1 } : undefined;
    },
  },
  {
    name: 'vital sign',
    route: (_section, field) => {
      const vital = vitalKindOf(fieldKey(field));
      return vital ? { kind: 'vital', vital } : undefined;
    },
  },
  {
    name: 'transcript-wide lookup (medications, allergies)',
    route: (_section, field) => {
      const filter = FIELD_FILTERS.find(([re]) => re.test(fieldKey(field)))?.[1];
      return filter ? { kind: 'lookup', filter } : undefined;
    },
  },
  {
    name: 'assessment and plan, assessment, plan',
    route: (section, field) => {
      const role = planRole(section, field);
      return role ? { kind: role } : undefined;
    },
  },
  {
    name: 'chief complaint',
    route: (section, field) => {
      const sources = sourcesFor(section, field);
      return sources.length === 1 && sources[0] === 'chief_complaint' ? { kind: 'chief_complaint' } : undefined;
    },
  },
  {
    name: 'history of present illness',
    route: (section, field) => {
      const sources = sourcesFor(section, field);
      return sources[0] === 'history' ? { kind: 'history', sources } : undefined;
    },
  },
  { name: 'model sections by label, title or instructions', route: (section, field) => ({ kind: 'sections', sources: sourcesFor(section, field) }) },
];

/** The route of one SOP field (the last row always matches). */
export function routeField(section: SopSection, field: SopField): FieldRoute {
  for (const rule of FIELD_ROUTES) {
    const route = rule.route(section, field);
    if (route) return route;
  }
  return { kind: 'sections', sources: [] };
}
