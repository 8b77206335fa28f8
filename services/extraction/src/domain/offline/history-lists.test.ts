import { describe, expect, it } from 'vitest';
import { currentMedications, familyHistory, historyLines, medicalHistory, prosePart, surgicalHistory } from './history-lists.js';
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

  it('takes a drug whose dose is changed as current, at the dose it is changed from', () => {
    const change = parseTranscript(
      ["[doctor] i want to increase your lasix to eighty milligrams once a day .", "[doctor] i'd like to increase the lisinopril from ten milligrams to twenty milligrams a day ."].join('\n'),
    ).sentences;
    expect(currentMedications(change, he).map((d) => d.text)).toEqual(['Lasix', 'Lisinopril 10 mg']);
  });

  it('names past operations told in lay words, and only ones the patient had', () => {
    const ops = parseTranscript(
      [
        '[doctor] any surgeries in the past ?',
        '[patient] i did have my appendix taken out when i was eighteen .',
        '[patient] and they took my gall bladder out several years ago .',
        '[doctor] we may need to take your thyroid out .',
      ].join('\n'),
    ).sentences;
    const items = surgicalHistory(ops);
    expect(items.map((i) => i.text)).toEqual(['Appendectomy', 'Cholecystectomy']);
    expect(historyLines('surgical_history', items, false).map((l) => l.text)).toEqual(['Appendectomy.', 'Cholecystectomy.']);
  });

  it("states a family history asked about and answered no, even when the transcript's speaker tags are swapped", () => {
    const asked = (q: string, a: string) => familyHistory(parseTranscript(`[doctor] ${q}\n[patient] ${a}`).sentences);
    expect(historyLines('family_history', asked('anybody in the family with kidney failure , dialysis or transplant ?', 'no .'), false)[0]!.text).toBe(
      'Denies family history of kidney failure, dialysis or transplant.',
    );
    expect(historyLines('family_history', asked('anyone in your family have any history of diseases ?', 'i was adopted so i really have no idea .'), false)[0]!.text).toBe(
      'No known family history.',
    );
    const swapped = familyHistory(parseTranscript('[patient] anyone in your family that you know have immune deficiencies\n[doctor] no my family is actually pretty healthy').sentences);
    expect(historyLines('family_history', swapped, true)[0]!.text).toBe('Denies family history of immune deficiencies.');
    expect(asked('anybody in the family with kidney failure ?', 'yes , my uncle .').filter((i) => i.negated)).toEqual([]);
  });
});
