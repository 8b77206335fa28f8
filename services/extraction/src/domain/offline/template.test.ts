import { describe, expect, it } from 'vitest';
import { supportedTemplateSentences } from './template.js';
import { parseTranscript } from './transcript.js';

const note = ['PHYSICAL EXAMINATION', '', '• Blood Pressure: Elevated.'].join('\n');
const example = (n: string) => [{ encounterId: 'past', transcript: '', note: n }];

describe('supportedTemplateSentences', () => {
  it("reuses a label's value only when this transcript says it with the label", () => {
    const said = parseTranscript('[doctor] your blood pressure is a little elevated today .').sentences;
    expect(supportedTemplateSentences(example(note), said).map((s) => s.text)).toContain('Elevated.');
    const elsewhere = parseTranscript(
      '[doctor] i want you to record your blood pressures at home , and report them to me in the patient portal if you see they are getting elevated .',
    ).sentences;
    expect(supportedTemplateSentences(example(note), elsewhere).map((s) => s.text)).not.toContain('Elevated.');
  });
});
