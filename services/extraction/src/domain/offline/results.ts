import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { TranscriptSentence } from './transcript.js';

const PART = '(knee|shoulder|elbow|wrist|hand|foot|back|chest|hip|ankle|neck|spine|finger|thumb|toe|leg|arm|pelvis)';
// "an x-ray of that right knee", "your left knee x-ray", "the x-ray that we did of your elbow".
const STUDY = [
  new RegExp(`\\bx-rays? (?:that we did )?of (?:that |your |the |his |her )?((?:left|right) )?${PART}\\b`),
  new RegExp(`\\b((?:left|right) )?${PART} x-rays?\\b`),
];

/**
 * The study the results section opens with ("X-rays of the right knee were obtained and reviewed."),
 * when the clinician names an x-ray and the body part it shows; the side is said with it or not at all.
 */
export function studyLead(sentences: TranscriptSentence[]): { text: string; spans: EvidenceSpan[] } | undefined {
  for (const s of sentences) {
    if (s.speaker !== 'doctor') continue;
    const lower = s.text.toLowerCase();
    for (const re of STUDY) {
      const m = lower.match(re);
      if (!m || m.index === undefined) continue;
      const part = m[2]!;
      const what = part === 'chest' ? 'Chest x-rays were' : `X-rays of the ${m[1] ?? ''}${part} were`;
      return { text: `${what} obtained and reviewed.`, spans: [{ start: s.start + m.index, end: s.start + m.index + m[0].length }] };
    }
  }
  return undefined;
}
