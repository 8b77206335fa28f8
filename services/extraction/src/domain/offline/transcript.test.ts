import { describe, expect, it } from 'vitest';
import { parseTranscript, wordCounter } from './transcript.js';

describe('parseTranscript', () => {
  const transcript = '[doctor] hi , martha . any chest pain ?\n[patient] no . my blood pressure was 98.6 , i think .\n[doctor] okay';

  it('splits turns and sentences with exact offsets', () => {
    const { turns, sentences } = parseTranscript(transcript);
    expect(turns.map((t) => t.speaker)).toEqual(['doctor', 'patient', 'doctor']);
    expect(sentences.map((s) => s.text)).toEqual(['hi , martha .', 'any chest pain ?', 'no .', 'my blood pressure was 98.6 , i think .', 'okay']);
    for (const s of sentences) expect(transcript.slice(s.start, s.end)).toBe(s.text);
  });

  it('reads MTS-Dialog style speaker prefixes', () => {
    const { turns } = parseTranscript('Doctor: How are you?\nPatient: Fine, thanks.');
    expect(turns.map((t) => t.speaker)).toEqual(['doctor', 'patient']);
  });
});

describe('parseTranscript on unpunctuated speech', () => {
  it('cuts a long run at discourse markers, keeping exact offsets', () => {
    const turn =
      '[doctor] so on your lung exam your lungs are clear to auscultation bilaterally on your heart exam i hear a grade two out of six murmur so for your first problem of your knee pain i want to order an x-ray of the right knee';
    const { sentences } = parseTranscript(turn);
    expect(sentences.length).toBeGreaterThan(2);
    for (const s of sentences) expect(turn.slice(s.start, s.end)).toBe(s.text);
    expect(sentences.some((s) => s.text.startsWith('on your heart exam'))).toBe(true);
    expect(sentences.some((s) => s.text.startsWith('i want to order'))).toBe(true);
  });

  it('leaves short sentences whole', () => {
    const { sentences } = parseTranscript('[patient] so my knee hurts now');
    expect(sentences.map((s) => s.text)).toEqual(['so my knee hurts now']);
  });
});

describe('parseTranscript on a long run-on turn', () => {
  const phrase = 'so on your exam the knee looks a bit swollen and um we will order an x-ray of it today and then ';
  const turn = (chars: number): string => `[doctor] ${phrase.repeat(Math.ceil(chars / phrase.length)).slice(0, chars)}`;

  /**
   * The characters regexes are asked to cover while `f` runs: from where each execution starts to the
   * end of its match (or of the text). Every pattern is linear (test/redos.test.ts), so this counts the
   * work done in them, and per-character scans written in code count one each. A count, not a clock.
   */
  const regexCoverage = (f: () => void): number => {
    const exec = RegExp.prototype.exec;
    let covered = 0;
    RegExp.prototype.exec = function (this: RegExp, text: string): RegExpExecArray | null {
      const from = this.global || this.sticky ? this.lastIndex : 0;
      const m = exec.call(this, text);
      covered += (m ? m.index + m[0].length : String(text).length) - from;
      return m;
    };
    try {
      f();
    } finally {
      RegExp.prototype.exec = exec;
    }
    return covered;
  };

  it('does 8 times the work for 8 times the text (80k vs 10k characters), not 64', () => {
    // Before: each discourse marker re-read the whole turn before it (10k: 42 ms, 80k: 2.7 s).
    const ratio = regexCoverage(() => parseTranscript(turn(80_000))) / regexCoverage(() => parseTranscript(turn(10_000)));
    expect(ratio).toBeGreaterThan(6);
    expect(ratio).toBeLessThan(10);
    expect(parseTranscript(turn(80_000)).sentences.length).toBeGreaterThan(1000);
  });

  it('counts the words of any slice as splitting it would', () => {
    const text = '  so  the knee,\tit hurts\n and  i-we will  order ';
    const words = wordCounter(text);
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) expect(words(a, b)).toBe(text.slice(a, b).split(/\s+/).filter(Boolean).length);
    }
  });
});
