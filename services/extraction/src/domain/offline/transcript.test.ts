import { describe, expect, it } from 'vitest';
import { parseTranscript } from './transcript.js';

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
