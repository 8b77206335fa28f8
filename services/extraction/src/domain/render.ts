import type { SectionResult } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';

/** The text of one field value: its text, or its list items one per line. */
function fieldText(value: SectionResult['fields'][number]): string {
  if (value.text.trim()) return value.text.trim();
  if (value.items.length > 0) return value.items.map((i) => i.trim()).filter(Boolean).join('\n');
  if (value.number !== undefined) return value.unit ? `${value.number} ${value.unit}` : String(value.number);
  return '';
}

/**
 * Renders a result as a plain-text note in the ACI-Bench layout: each section title upper-case on its
 * own line, then its content; sections separated by a blank line. Empty sections are left out.
 * Multi-field sections label each field ("Label: value") so values stay distinguishable.
 */
export function renderNote(sop: Pick<Sop, 'sections'>, sections: SectionResult[]): string {
  const byKey = new Map(sections.map((s) => [s.key, s]));
  const blocks: string[] = [];
  for (const section of sop.sections) {
    const result = byKey.get(section.key);
    if (!result) continue;
    const labels = new Map(section.fields.map((f) => [f.key, f.label || f.key]));
    const filled = result.fields.map((f) => ({ f, text: fieldText(f) })).filter((x) => x.text);
    if (filled.length === 0) continue;
    const body =
      filled.length === 1 && section.fields.length === 1
        ? filled[0]!.text
        : filled.map(({ f, text }) => `${labels.get(f.key) ?? f.key}: ${text}`).join('\n');
    blocks.push(`${(result.title || section.title).toUpperCase()}\n\n${body}`);
  }
  return blocks.join('\n\n');
}
