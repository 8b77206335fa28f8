import { stem } from './stem.js';
import type { TranscriptSentence } from './transcript.js';
import { contentTokens } from './transcript.js';

export function stems(text: string): string[] {
  return contentTokens(text).map(stem);
}

/**
 * Features of one transcript sentence for the section classifier: its content stems and stem
 * bigrams, the speaker, its position in the visit, and (for answers) the stems of the sentence before,
 * since "no" only means something after the question.
 */
export function sentenceFeatures(s: TranscriptSentence, prev: TranscriptSentence | undefined, total: number): string[] {
  const st = stems(s.text);
  const f = st.map((w) => `w:${w}`);
  for (let i = 0; i + 1 < st.length; i++) f.push(`b:${st[i]}_${st[i + 1]}`);
  f.push(`spk:${s.speaker}`, `pos:${Math.min(9, Math.floor((10 * s.index) / Math.max(1, total)))}`);
  f.push(`len:${Math.min(5, Math.floor(st.length / 3))}`);
  if (/\d/.test(s.text)) f.push('has:digit');
  if (prev && prev.speaker !== s.speaker) for (const w of stems(prev.text)) f.push(`p:${w}`);
  return f;
}
