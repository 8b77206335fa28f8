import { describe, expect, it } from 'vitest';
import { alignQuote, isGrounded } from './grounding.js';

const transcript = [
  '[doctor] hi , brian . how are you ?',
  "[patient] i , i just feel out of sorts lately . i do n't know if it's the change in the seasons .",
  '[doctor] okay . and , any chest pain ?',
  '[patient] no , no chest pain . but i get short of breath walking up the stairs .',
  '[doctor] your blood pressure today is one forty over ninety .',
].join('\n');

const textAt = (q: string) => {
  const span = alignQuote(transcript, q);
  return span ? transcript.slice(span.start, span.end) : null;
};

describe('alignQuote', () => {
  it('finds a verbatim quote', () => {
    expect(textAt('any chest pain')).toBe('any chest pain');
  });

  it('ignores case, punctuation, whitespace and split contractions', () => {
    expect(textAt("I don't know if it's the change in the seasons")).toBe("i do n't know if it's the change in the seasons");
    expect(textAt('No, no chest pain.')).toBe('no , no chest pain');
  });

  it('ignores speaker tags inside the quote and across turns', () => {
    expect(textAt('[doctor] okay. And, any chest pain? [patient] No')).toBe('okay . and , any chest pain ?\n[patient] no');
    expect(textAt('Patient: no, no chest pain')).toBe('no , no chest pain');
  });

  it('tolerates a few token edits', () => {
    expect(textAt('I get short of breath when walking up the stairs')).toBe('i get short of breath walking up the stairs');
    expect(textAt('blood pressure today was one forty over ninety')).toBe('blood pressure today is one forty over ninety');
  });

  it('aligns elided quotes part by part', () => {
    expect(textAt('any chest pain ... short of breath')).toBe('any chest pain ?\n[patient] no , no chest pain . but i get short of breath');
  });

  it('returns null for text the transcript does not contain', () => {
    expect(alignQuote(transcript, 'the patient reports severe abdominal pain radiating to the back')).toBeNull();
    expect(alignQuote(transcript, 'blood pressure 160 over 100')).toBeNull();
    expect(alignQuote(transcript, 'fever')).toBeNull();
    expect(alignQuote(transcript, 'blood pressure today is one fifty over ninety')).toBeNull();
    expect(alignQuote(transcript, '...')).toBeNull();
  });
});

describe('isGrounded', () => {
  it('requires evidence inside the transcript', () => {
    expect(isGrounded(transcript, [{ start: 0, end: 8 }])).toBe(true);
    expect(isGrounded(transcript, [])).toBe(false);
    expect(isGrounded(transcript, [{ start: 5, end: 5 }])).toBe(false);
    expect(isGrounded(transcript, [{ start: 0, end: transcript.length + 1 }])).toBe(false);
    expect(isGrounded(transcript, [{ start: 0, end: 8 }, { start: -1, end: 3 }])).toBe(false);
  });
});
