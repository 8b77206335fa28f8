import { trimEndOf } from './text-scan.js';

/** The note sections the offline model knows, in ACI-Bench order. `none` = not note material. */
export const NOTE_SECTIONS = ['chief_complaint', 'history', 'review_of_systems', 'physical_exam', 'results', 'assessment_plan'] as const;
export type NoteSection = (typeof NOTE_SECTIONS)[number];
export type SectionLabel = NoteSection | 'none';
export const SECTION_LABELS: readonly SectionLabel[] = [...NOTE_SECTIONS, 'none'];

// Reference-note headers mapped to the model's sections; sub-histories are told with the HPI.
const HEADER_SECTIONS: [RegExp, NoteSection][] = [
  [/^(chief complaint|cc|reason for (visit|consultation))$/, 'chief_complaint'],
  [/^(history of present illness|hpi|history|(past )?(medical|surgical|social|family) history|past history|(current )?medications|allergies|interval history)$/, 'history'],
  [/^(review of systems|ros)$/, 'review_of_systems'],
  [/^(physical exam(ination)?|exam(ination)?|vitals( reviewed)?|vital signs)$/, 'physical_exam'],
  [/^(results|labs?|imaging|data|diagnostics?|studies)$/, 'results'],
  [/^(assessment( and plan)?|plan|impression( and plan)?|instructions|procedure|a\/p|assessment & plan|patient instructions|follow[- ]?up)$/, 'assessment_plan'],
];

/** The model section a free-text title or header belongs to, if any. */
export function sectionOfHeader(header: string): NoteSection | undefined {
  const h = trimEndOf(header.toLowerCase(), /[:\s]/).replace(/\s+/g, ' ').trim();
  return HEADER_SECTIONS.find(([re]) => re.test(h))?.[1];
}

/** Splits a reference-style note into (section, text) blocks by its upper-case header lines. */
export function splitNote(note: string): { section: NoteSection; header: string; body: string }[] {
  const blocks: { section: NoteSection; header: string; body: string }[] = [];
  let current: { section: NoteSection; header: string; lines: string[] } | undefined;
  for (const line of note.split('\n')) {
    const t = line.trim();
    const isHeader = t.length > 1 && t.length < 40 && t === t.toUpperCase() && /^[A-Z][A-Z &/]+:?$/.test(t);
    const section = isHeader ? sectionOfHeader(t) : undefined;
    if (isHeader && (section || current)) {
      if (current) blocks.push({ section: current.section, header: current.header, body: current.lines.join('\n').trim() });
      current = { section: section ?? current!.section, header: t.replace(/:$/, ''), lines: [] };
    } else if (current) current.lines.push(line);
  }
  if (current) blocks.push({ section: current.section, header: current.header, body: current.lines.join('\n').trim() });
  return blocks.filter((b) => b.body.length > 0);
}
