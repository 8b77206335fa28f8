/**
 * Note sections and the context_completeness factor.
 *
 * Rendered notes (ours and imported ACI-Bench ones) put upper-case section titles on their own
 * lines. Titles, SOP section titles/keys and field labels/keys are all reduced to one canonical
 * name ("HPI", "History of present illness", "history_of_present_illness" -> the same), and a
 * note header also satisfies the parts it contains ("ASSESSMENT AND PLAN" fills "assessment" and
 * "plan") and the SOAP part it belongs to ("PHYSICAL EXAM" fills "objective").
 */
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';

/** Lowercase, `&` -> and, punctuation and `_` -> spaces, collapsed. */
export function normaliseTitle(title: string): string {
  return title
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

// Abbreviations and wording variants -> canonical name (keys are normalised titles).
const SYNONYMS: Record<string, string> = {
  cc: 'chief complaint',
  'reason for visit': 'chief complaint',
  'reason for consultation': 'chief complaint',
  hpi: 'history of present illness',
  'history of the present illness': 'history of present illness',
  'history of presenting illness': 'history of present illness',
  'present illness': 'history of present illness',
  genhx: 'history of present illness',
  ros: 'review of systems',
  'systems review': 'review of systems',
  pe: 'physical examination',
  exam: 'physical examination',
  examination: 'physical examination',
  'physical exam': 'physical examination',
  a: 'assessment',
  p: 'plan',
  'a p': 'assessment and plan',
  ap: 'assessment and plan',
  'assessment plan': 'assessment and plan',
  'impression and plan': 'assessment and plan',
  'impression plan': 'assessment and plan',
  impression: 'assessment',
  diagnosis: 'assessment',
  diagnoses: 'assessment',
  'plan of care': 'plan',
  'treatment plan': 'plan',
  pmh: 'past medical history',
  pastmedicalhx: 'past medical history',
  'medical history': 'past medical history',
  'past history': 'past medical history',
  psh: 'past surgical history',
  pastsurgical: 'past surgical history',
  'surgical history': 'past surgical history',
  fh: 'family history',
  sh: 'social history',
  'fam sochx': 'family and social history',
  meds: 'medications',
  medication: 'medications',
  'current medications': 'medications',
  'home medications': 'medications',
  allergy: 'allergies',
  'drug allergies': 'allergies',
  vitals: 'vital signs',
  'vitals reviewed': 'vital signs',
  vital: 'vital signs',
  labs: 'results',
  'laboratory results': 'results',
  'lab results': 'results',
  'diagnostic results': 'results',
  imaging: 'results',
  'patient instructions': 'instructions',
  'discharge instructions': 'instructions',
  procedure: 'procedures',
};

// Composite headers fill each part.
const PARTS: Record<string, string[]> = {
  'assessment and plan': ['assessment', 'plan'],
  'family and social history': ['family history', 'social history'],
};

// SOAP parent of each canonical section.
const SOAP_PARENT: Record<string, string> = {
  'chief complaint': 'subjective',
  'history of present illness': 'subjective',
  'review of systems': 'subjective',
  'past medical history': 'subjective',
  'past surgical history': 'subjective',
  'family history': 'subjective',
  'social history': 'subjective',
  medications: 'subjective',
  allergies: 'subjective',
  'physical examination': 'objective',
  'vital signs': 'objective',
  results: 'objective',
  assessment: 'assessment',
  plan: 'plan',
  instructions: 'plan',
  procedures: 'plan',
};

/** Canonical name of a section title, SOP key or field label ("HPI:" -> "history of present illness"). */
export function canonicalSectionName(title: string): string {
  const normalised = normaliseTitle(title);
  return SYNONYMS[normalised] ?? normalised;
}

/** Every canonical name a filled header satisfies: itself, its parts and their SOAP parents. */
export function sectionNamesCovered(title: string): string[] {
  const canonical = canonicalSectionName(title);
  const names = new Set<string>([canonical]);
  for (const part of PARTS[canonical] ?? []) names.add(part);
  for (const name of [...names]) {
    const parent = SOAP_PARENT[name];
    if (parent) names.add(parent);
  }
  return [...names];
}

/**
 * Canonical keys for stored `filledSections` entries. An entry is a section title/key or a
 * `section.field` / `section/field` path; paths keep their section-qualified form and also add the
 * bare field name.
 */
export function canonicalFilledKeys(entries: Iterable<string>): string[] {
  const keys = new Set<string>();
  for (const entry of entries) {
    const split = KNOWN_HEADERS.has(normaliseTitle(entry)) ? [entry] : entry.split(/[./]/);
    if (split.length === 2 && split[0] && split[1]) {
      const section = canonicalSectionName(split[0]);
      const field = canonicalSectionName(split[1]);
      keys.add(`${section}.${field}`);
      // A filled field also fills its section.
      for (const name of [...sectionNamesCovered(split[0]), ...sectionNamesCovered(split[1])]) keys.add(name);
    } else {
      for (const name of sectionNamesCovered(entry)) keys.add(name);
    }
  }
  keys.delete('');
  return [...keys];
}

const KNOWN_HEADERS = new Set<string>([...Object.keys(SYNONYMS), ...Object.values(SYNONYMS), ...Object.keys(SOAP_PARENT), 'subjective', 'objective']);

/** The title if the line is a section header ("HISTORY OF PRESENT ILLNESS", "HPI:"), else undefined; inline text after "TITLE:" goes to `rest`. */
function parseHeader(line: string): { title: string; rest: string } | undefined {
  const trimmed = line.trim();
  if (trimmed.length < 2) return undefined;
  const colon = trimmed.indexOf(':');
  const head = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
  const rest = colon >= 0 ? trimmed.slice(colon + 1).trim() : '';
  if (head.length < 2 || head.length > 60 || head !== head.toUpperCase() || !/[A-Z].*[A-Z]/.test(head)) return undefined;
  if (/[0-9.]/.test(head)) return undefined; // "BP: 120/80." and "COPD." are content, not headers
  const normalised = normaliseTitle(head);
  const known = KNOWN_HEADERS.has(normalised);
  if (!known && !/[A-Z]{2}/.test(head)) return undefined;
  // Unknown single words ("HIV", "MSK:") are content; unknown multi-word caps lines are headers.
  if (!known && (normalised.split(' ').length < 2 || rest !== '')) return undefined;
  return { title: head, rest };
}

/**
 * Sections of a rendered note: canonical title -> content (trimmed). Text before the first
 * header is dropped; a repeated section's contents are joined.
 */
export function noteSections(note: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  let buffer: string[] = [];
  const flush = (): void => {
    if (current === undefined) return;
    const content = buffer.join('\n').trim();
    const previous = sections.get(current);
    sections.set(current, previous ? `${previous}\n\n${content}`.trim() : content);
  };
  for (const line of note.split(/\r?\n/)) {
    const header = parseHeader(line);
    if (header) {
      flush();
      current = canonicalSectionName(header.title);
      buffer = header.rest ? [header.rest] : [];
    } else if (current !== undefined) {
      buffer.push(line);
    }
  }
  flush();
  return sections;
}

/**
 * What to store as a candidate's `filledSections` at save/import time: the note's non-empty
 * sections plus the keys of sections/fields its structured result filled (`section.field`).
 */
export function filledSectionsOf(note: string, filledResultKeys: Iterable<string> = []): string[] {
  const entries: string[] = [];
  for (const [title, content] of noteSections(note)) if (content.length > 0) entries.push(title);
  for (const key of filledResultKeys) entries.push(key);
  return canonicalFilledKeys(entries);
}

/** One thing the requested SOPs ask for: satisfied when any of its names is filled. */
export interface SopRequirement {
  kind: 'section' | 'field';
  names: string[];
}

/** The requested SOPs' sections and required fields, each with the canonical names that satisfy it. */
export function sopRequirements(sops: readonly Sop[]): SopRequirement[] {
  const requirements: SopRequirement[] = [];
  for (const sop of sops) {
    for (const section of sop.sections) {
      const sectionNames = unique([canonicalSectionName(section.title), canonicalSectionName(section.key)]);
      requirements.push({ kind: 'section', names: sectionNames });
      for (const field of section.fields) {
        if (!field.required) continue;
        const fieldNames = unique([canonicalSectionName(field.label), canonicalSectionName(field.key)]);
        requirements.push({
          kind: 'field',
          names: unique([...fieldNames, ...sectionNames.flatMap((s) => fieldNames.map((f) => `${s}.${f}`))]),
        });
      }
    }
  }
  return requirements;
}

/** Share of requirements a set of canonical filled keys satisfies, in [0, 1] (1 when nothing is required). */
export function requirementCoverage(requirements: readonly SopRequirement[], filled: ReadonlySet<string>): number {
  if (requirements.length === 0) return 1;
  let met = 0;
  for (const requirement of requirements) if (requirement.names.some((name) => filled.has(name))) met++;
  return met / requirements.length;
}

/**
 * context_completeness: the share of the requested SOPs' sections and required fields that the
 * candidate fills. `candidateFilled` is its stored `filledSections` (canonical or raw titles/keys).
 */
export function contextCompleteness(sops: readonly Sop[], candidateFilled: Iterable<string>): number {
  return requirementCoverage(sopRequirements(sops), new Set(canonicalFilledKeys(candidateFilled)));
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))];
}
