import type { ContextExample } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { prosePart } from './history-lists.js';
import { historyPartOf, type HistoryPart } from './history-parts.js';
import { splitNote } from './sections.js';

/**
 * What the examples' notes show of their layout, parsed once per extraction: layout only, never
 * content. Their upper-case headers, the history parts they keep as sections of their own and those
 * they write as prose, the verb of their review of systems, whether they label the plan's parts.
 */
export interface ExampleLayout {
  /** Upper-case header lines, in order of first use. */
  headers: string[];
  /** History parts kept as sections of their own; undefined when there are no examples. */
  parts?: Set<HistoryPart>;
  /** List parts written as prose ("Patient reports taking ..."). */
  proseParts: Set<HistoryPart>;
  /** The review of systems' verb for a positive. */
  endorseVerb: 'Endorses' | 'Reports';
  /** Whether each problem is laid out under "• Medical Reasoning:"-style labels. */
  planLabels: boolean;
}

function isHeaderLine(t: string): boolean {
  return t.length > 1 && t.length < 40 && t === t.toUpperCase() && /^[A-Z][A-Z &/]+$/.test(t);
}

export function exampleLayout(examples: ContextExample[]): ExampleLayout {
  const headers = new Set<string>();
  const parts = new Set<HistoryPart>();
  const proseParts = new Set<HistoryPart>();
  let endorses = 0;
  let reports = 0;
  let planLabels = false;
  for (const { note } of examples) {
    let current: [HistoryPart, string] | undefined;
    const bodies: [HistoryPart, string][] = [];
    for (const line of note.split('\n')) {
      const t = line.trim().replace(/:$/, '');
      if (isHeaderLine(t)) {
        headers.add(t);
        const part = historyPartOf(t);
        current = part ? [part, ''] : undefined;
        if (current) {
          parts.add(current[0]);
          bodies.push(current);
        }
      } else if (current && t) current[1] += `${t}\n`;
    }
    for (const [part, body] of bodies) if (prosePart(body)) proseParts.add(part);
    const review = splitNote(note).filter((b) => b.section === 'review_of_systems').map((b) => b.body).join('\n');
    endorses += review.match(/\bEndorses\b/g)?.length ?? 0;
    reports += review.match(/\bReports\b/g)?.length ?? 0;
    planLabels ||= /Medical Reasoning:/.test(note);
  }
  return {
    headers: [...headers],
    ...(examples.length > 0 ? { parts } : {}),
    proseParts,
    endorseVerb: endorses > reports ? 'Endorses' : 'Reports',
    planLabels,
  };
}

/**
 * The past notes' own title for a section that names the same thing ("PAST MEDICAL HISTORY" for
 * "MEDICAL HISTORY", "PHYSICAL EXAM" for "PHYSICAL EXAMINATION"): layout only, never content.
 */
export function headerFor(title: string, headers: string[]): string | undefined {
  const part = historyPartOf(title);
  const exam = /^physical exam(?:ination)?$/i;
  const same = headers.filter((h) => h.toLowerCase() !== title.toLowerCase() && (part ? historyPartOf(h) === part : exam.test(title) && exam.test(h)));
  return headers.some((h) => h.toLowerCase() === title.toLowerCase()) ? undefined : same[0];
}
