import { describe, expect, it } from 'vitest';
import { capitalise, noteSentences, noteStyle, residueOf, residueRate, sentenceDefects, sumStyles } from './note-style.js';

describe('residueOf', () => {
  it('counts fillers, broken-off words, repeated words, openers, second person and questions', () => {
    expect(Object.fromEntries(residueOf('So, she kinda, you know, has pain.'))).toEqual({ filler: 2, opener: 1 });
    expect(Object.fromEntries(residueOf("She'll be 2 mo- 2 next month."))).toEqual({ broken_word: 1 });
    expect(Object.fromEntries(residueOf('She really needed to see you in 3 months?'))).toEqual({ second_person: 1, question: 1 });
    expect(Object.fromEntries(residueOf('Your your abdomen is soft.'))).toEqual({ repetition: 1, second_person: 2 });
  });

  it('finds none in note prose, including note hyphenation ("2- to 3-week", "pre- and post-")', () => {
    expect(residueOf('She reports a 2- to 3-week history of pre- and post-prandial pain.').size).toBe(0);
    expect(residueOf('Lungs are clear to auscultation bilaterally.').size).toBe(0);
  });
});

describe('sentenceDefects', () => {
  it('flags a fragment that breaks off, a label inside a sentence, a run-on and a repeat', () => {
    expect(sentenceDefects("And, his prior lobectomy, there's no.")).toEqual(['opener', 'fragment']);
    expect(sentenceDefects('The diagnosis would be a.')).toEqual(['fragment']);
    expect(sentenceDefects('He reports pain Assessment.')).toEqual(['inner_label']);
    expect(sentenceDefects(`${Array.from({ length: 70 }, (_, i) => `w${i}`).join(' ')} end.`)).toEqual(['run_on']);
    const seen = new Set<string>();
    expect(sentenceDefects('She presents for right knee pain.', seen)).toEqual([]);
    expect(sentenceDefects('She presents for right knee pain.', seen)).toEqual(['duplicate']);
  });

  it('passes a clean note sentence and a list item', () => {
    expect(sentenceDefects('Ms. Thompson is a 43-year-old female here for right knee pain.')).toEqual([]);
    expect(sentenceDefects('Hypertension.')).toEqual([]);
  });
});

describe('noteSentences', () => {
  it('skips headings, keeps a label line to its sentence and does not split after a title', () => {
    const note = 'CHIEF COMPLAINT\n\nKnee pain.\n\n• Medical Reasoning: Mr. Smith has a sprain. He is improving.';
    expect(noteSentences(note)).toEqual(['Knee pain.', 'Mr. Smith has a sprain.', 'He is improving.']);
  });
});

describe('noteStyle', () => {
  it('rates residue per 1,000 words and the share of sentences that pass', () => {
    const a = noteStyle('HISTORY\n\nSo she has pain. She has pain in the knee.');
    const b = noteStyle('She denies fever.');
    expect(a.residue.opener).toBe(1);
    expect(a.sentences).toBe(2);
    expect(a.passing).toBe(1);
    const sum = sumStyles([a, b]);
    expect(sum.words).toBe(a.words + b.words);
    expect(sum.passing).toBe(2);
    expect(residueRate(sum).total).toBeCloseTo(1000 / sum.words);
    expect(residueRate(sum).byKind.opener).toBeCloseTo(1000 / sum.words);
  });
});

describe('capitalise', () => {
  it('upper-cases the first letter only', () => {
    expect(capitalise('denies fever')).toBe('Denies fever');
    expect(capitalise('')).toBe('');
  });
});
