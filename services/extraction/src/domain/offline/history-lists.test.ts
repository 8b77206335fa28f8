import { describe, expect, it } from 'vitest';
import { currentMedications, familyHistory, historyLines, medicalHistory, prosePart } from './history-lists.js';
import { patientPronouns } from './normalise.js';
import { parseTranscript } from './transcript.js';

const transcript = [
  '[doctor] any medical problems ?',
  "[patient] i've had high blood pressure for years .",
  '[doctor] what medications are you taking ?',
  "[patient] i'm taking lisinopril twenty milligrams a day and some tylenol .",
  '[doctor] does anything run in your family ?',
  '[patient] my father had kidney stones .',
  "[doctor] okay , i'm going to prescribe you some meloxicam fifteen milligrams a day .",
  "[doctor] and let's continue the norvasc five milligrams once daily .",
].join('\n');
const { sentences } = parseTranscript(transcript);
const he = patientPronouns('he said his knee');

describe('history lists', () => {
  it('lists current drugs with their doses, continued ones too, and leaves new orders to the plan', () => {
    const drugs = currentMedications(sentences, he);
    expect(drugs.map((d) => d.text)).toEqual(['Lisinopril 20 mg daily', 'Tylenol', 'Norvasc 5 mg daily']);
    for (const d of drugs) expect(transcript.slice(d.span.start, d.span.end).toLowerCase()).toContain(d.text.split(' ')[0]!.toLowerCase());
  });

  it('names past conditions under their clinical name and keeps relatives apart', () => {
    expect(medicalHistory(sentences).map((i) => i.text)).toEqual(['Hypertension']);
    const family = familyHistory(sentences);
    expect(family).toHaveLength(1);
    expect(historyLines('family_history', family, false)[0]!.text).toBe('Father with history of kidney stones.');
  });

  it('writes a list or one prose sentence, as the past notes do', () => {
    const drugs = currentMedications(sentences, he);
    expect(historyLines('medications', drugs, false).map((l) => l.text)).toEqual(['Lisinopril 20 mg daily.', 'Tylenol.', 'Norvasc 5 mg daily.']);
    expect(historyLines('medications', drugs, true)[0]!.text).toBe('Patient reports taking Lisinopril 20 mg daily, Tylenol, and Norvasc 5 mg daily.');
    expect(prosePart('Patient reports history of hypertension.')).toBe(true);
    expect(prosePart('Hypertension.')).toBe(false);
  });

  it('states nothing the transcript does not: no drugs, no conditions from nowhere', () => {
    const quiet = parseTranscript('[doctor] how is the knee ?\n[patient] it hurts when i walk .').sentences;
    expect(currentMedications(quiet, he)).toEqual([]);
    expect(medicalHistory(quiet)).toEqual([]);
    expect(familyHistory(quiet)).toEqual([]);
  });
});
