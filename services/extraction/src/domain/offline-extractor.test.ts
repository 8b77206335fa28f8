import { describe, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { numericSupport } from '@clinote/shared/numeric-support.js';
import { FieldType, type Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { extractOffline, OfflineExtractor } from './offline-extractor.js';

/** The rest of the line after `lead` (what /lead.*x/ reads), '' when `lead` is not there. */
const textAfter = (text: string, lead: string): string => {
  const at = text.indexOf(lead);
  return at < 0 ? '' : text.slice(at + lead.length).split('\n')[0]!;
};
const sop = (sections: Sop['sections']): Sop => ({ id: 'sop-1', userId: 'u-1', name: 'test', version: 3, active: true, sections });

const transcript = [
  '[doctor] hi , anna . so what brings you in today ?',
  "[patient] my left knee has been hurting for about two weeks since i fell skiing .",
  '[doctor] any fever or chills ?',
  '[patient] no .',
  "[patient] i take ibuprofen two hundred milligrams for the pain . i'm allergic to penicillin .",
  '[doctor] your blood pressure today is one twenty over eighty . your heart rate is seventy two .',
  '[doctor] on physical examination of the left knee , there is tenderness over the medial joint line .',
  '[doctor] your x-ray shows no fracture .',
  "[doctor] for your left knee strain , i'm going to go ahead and recommend ice and rest , and we will see you back in two weeks .",
].join('\n');

// A past patient's note: its facts (right hip, 40 mg lisinopril, diabetes) must never leak.
const pastNote = [
  'CHIEF COMPLAINT', '', 'Right hip pain.', '',
  'HISTORY OF PRESENT ILLNESS', '', 'The patient reports right hip pain for 3 months. She takes lisinopril 40 mg daily for diabetes.', '',
  'ASSESSMENT AND PLAN', '', 'Knee strain.', '• Medical Treatment: Ice and rest.', '',
  'Patient Agreements: The patient understands and agrees with the recommended medical treatment plan.',
].join('\n');
const examples = [{ encounterId: 'past-1', transcript: 'irrelevant', note: pastNote }];

describe('extractOffline', () => {
  it('fills ACI-Bench sections with values grounded in the transcript', () => {
    const result = extractOffline({ transcript, sop: sop(ACI_BENCH_SECTIONS), examples });
    expect(result.sopId).toBe('sop-1');
    expect(result.sopVersion).toBe(3);
    const filled = result.sections.flatMap((s) => s.fields).filter((f) => f.text);
    expect(filled.length).toBeGreaterThan(0);
    for (const f of filled) {
      expect(f.grounded).toBe(true);
      expect(f.evidence.length).toBeGreaterThan(0);
      for (const e of f.evidence) {
        expect(e.start).toBeGreaterThanOrEqual(0);
        expect(e.end).toBeLessThanOrEqual(transcript.length);
        expect(e.start).toBeLessThan(e.end);
      }
    }
    expect(result.renderedNote).toMatch(/^[A-Z ]+\n\n/);
  });

  it('reuses only what the transcript supports from a past note', () => {
    const note = extractOffline({ transcript, sop: sop(ACI_BENCH_SECTIONS), examples }).renderedNote;
    expect(note).not.toMatch(/hip|lisinopril|diabetes|\b40\b|3 months/i);
    expect(numericSupport(note, transcript).rate).toBe(1);
  });

  it("never carries a past patient's sex, name or problem numbering into the note", () => {
    const male = [
      '[doctor] so mister jones is a 61 year old male here for his diabetes',
      "[doctor] how's your diet been going",
      "[patient] i've been doing pretty good with my diet",
      '[doctor] any fever or chills',
      '[patient] no',
      '[doctor] on your lung exam your lungs are clear to auscultation bilaterally',
    ].join('\n');
    const femaleNote = [
      'HISTORY OF PRESENT ILLNESS', '', 'Ms. Mitchell has been doing pretty good with her diet. She has been doing pretty good with her diet.', '',
      'ASSESSMENT AND PLAN', '', '2.', 'Diabetes.', '',
    ].join('\n');
    const result = extractOffline({ transcript: male, sop: sop(ACI_BENCH_SECTIONS), examples: [{ encounterId: 'past-2', transcript: '', note: femaleNote }] });
    const note = result.renderedNote;
    expect(note).toMatch(/He has been doing pretty good with his diet/);
    expect(note).not.toMatch(/\b(she|her|ms|mitchell)\b/i);
    expect(note).not.toMatch(/^2\.$/m);
    expect(note).toMatch(/• Constitutional: Denies fever and chills\./);
    expect(textAfter(note.toLowerCase(), '• respiratory: ')).toContain('lungs are clear');
    // Spoken questions without question marks are not note statements.
    expect(note).not.toMatch(/how's|diet been going/i);
    for (const f of result.sections.flatMap((s) => s.fields).filter((f) => f.text)) expect(f.grounded).toBe(true);
  });

  it('fills typed SOAP fields: medications, allergies, vitals', () => {
    const result = extractOffline({ transcript, sop: sop(SOAP_NOTE_SECTIONS), examples: [] });
    const field = (key: string) => result.sections.flatMap((s) => s.fields).find((f) => f.key === key)!;
    expect(field('medications').items.join(' ')).toMatch(/ibuprofen 200 mg/i);
    expect(field('allergies').items.join(' ')).toMatch(/penicillin/);
    expect(field('blood_pressure').text).toMatch(/120\/80/);
    expect(field('heart_rate').number).toBe(72);
    expect(field('heart_rate').grounded).toBe(true);
    expect(result.renderedNote).toMatch(/^SUBJECTIVE\n\n/);
  });

  it('lists current medications in a SOAP note whatever the past notes keep, and a study read out with "okay ?" as a result', () => {
    const visit = [
      '[doctor] are you taking your medications ?',
      '[patient] yes , i take my lisinopril twenty milligrams a day .',
      '[doctor] this is the echocardiogram we did , and it shows the pumping function of your heart is reduced at forty five percent , okay ?',
      '[doctor] i want to increase your lasix to eighty milligrams once a day .',
    ].join('\n');
    // The past note has no MEDICATIONS section: an ACI-style note would leave them to the HPI, a SOAP field does not.
    const result = extractOffline({ transcript: visit, sop: sop(SOAP_NOTE_SECTIONS), examples });
    const field = (key: string) => result.sections.flatMap((s) => s.fields).find((f) => f.key === key)!;
    expect(field('medications').items).toEqual(['Lisinopril 20 mg daily.', 'Lasix.']);
    expect(field('medications').grounded).toBe(true);
    expect(field('results').text).toMatch(/reduced at 45%\.$/);
  });

  it("fills the short history sections from this transcript, in the layout of the past notes, never with their facts", () => {
    const visit = [
      '[doctor] hi , anna . so what brings you in today ?',
      '[patient] my left knee has been hurting for about two weeks .',
      "[patient] i work as a teacher and i smoke about half a pack a day .",
      "[patient] i'm taking lisinopril twenty milligrams a day .",
      '[doctor] your blood pressure today is one twenty over eighty .',
      '[doctor] for your left knee strain , i recommend ice and rest , and we will see you back in two weeks for a follow-up .',
    ].join('\n');
    const layoutNote = [
      'SOCIAL HISTORY', '', 'Retired firefighter. Drinks 6 beers a week.', '',
      'MEDICATIONS', '', 'Metformin 1000 mg twice daily.', '',
      'VITALS', '', 'Blood Pressure: 150/95 mmHg.', '',
      'INSTRUCTIONS', '', 'Follow up in 3 months.',
    ].join('\n');
    const withLayout = extractOffline({ transcript: visit, sop: sop(ACI_BENCH_SECTIONS), examples: [{ encounterId: 'past-4', transcript: '', note: layoutNote }] });
    const text = (key: string) => withLayout.sections.find((s) => s.key === key)!.fields[0]!;
    expect(textAfter(text('social_history').text, 'works as a teacher')).toContain('smokes about half a pack');
    expect(text('medications').text).toBe('Lisinopril 20 mg daily.');
    expect(text('vitals').text).toBe('Blood Pressure: 120/80 mmHg.');
    expect(text('instructions').text).toMatch(/2 weeks/);
    for (const key of ['social_history', 'medications', 'vitals', 'instructions']) {
      expect(text(key).grounded).toBe(true);
      expect(text(key).evidence.length).toBeGreaterThan(0);
    }
    expect(withLayout.renderedNote).not.toMatch(/firefighter|beers|metformin|150\/95|3 months/i);
    expect(numericSupport(withLayout.renderedNote, visit).rate).toBe(1);
    // Past notes without medications or vitals sections: the note tells them in the history instead.
    const plain = extractOffline({ transcript: visit, sop: sop(ACI_BENCH_SECTIONS), examples });
    expect(plain.renderedNote).not.toMatch(/^(MEDICATIONS|VITALS)$/m);
    // Social history and the follow-up are stated whatever the layout, once, from this transcript only.
    const plainText = (key: string) => plain.sections.find((s) => s.key === key)!.fields[0]!.text;
    expect(textAfter(plainText('social_history'), 'works as a teacher')).toContain('smokes about half a pack');
    expect(plainText('history_of_present_illness')).not.toMatch(/teacher/);
    expect(plainText('instructions')).toBe('The patient will follow up with me in 2 weeks.');
  });

  it('documents everything a short dialogue states for a one-section SOP, in note style', () => {
    const dialogue = [
      'Doctor: What brings you in today?',
      'Patient: I have had a cough for about three weeks.',
      'Doctor: Any fever?',
      'Patient: No.',
      "Patient: It gets worse at night and I can't sleep.",
    ].join('\n');
    const hpi: Sop['sections'] = [
      { key: 'hpi', title: 'HISTORY OF PRESENT ILLNESS', instructions: '', fields: [{ key: 'text', label: 'History of present illness', type: FieldType.FIELD_TYPE_TEXT, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '' }] },
    ];
    const value = extractOffline({ transcript: dialogue, sop: sop(hpi), examples }).sections[0]!.fields[0]!;
    expect(value.text).toMatch(/has had a cough for about 3 weeks/);
    expect(value.text).toMatch(/Denies fever\./);
    expect(value.text).toMatch(/worse at night/);
    expect(value.text).not.toMatch(/\b(I|my)\b|hip|lisinopril/);
    expect(value.grounded).toBe(true);
  });

  it('leaves what the clinician will do out of a one-field history, and keeps it in a one-field plan', () => {
    const dialogue = ['Doctor: How long have you had the cough?', 'Patient: About three weeks, and it is worse at night.', 'Doctor: We will order a chest x-ray today.'].join('\n');
    const field = (label: string) => [{ key: 'text', label, type: FieldType.FIELD_TYPE_TEXT, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '' }];
    const one = (title: string) => extractOffline({ transcript: dialogue, sop: sop([{ key: 's', title: title.toUpperCase(), instructions: '', fields: field(title) }]), examples: [] }).sections[0]!.fields[0]!.text;
    expect(one('History of present illness')).toMatch(/worse at night/);
    expect(one('History of present illness')).not.toMatch(/x-ray/);
    expect(one('Plan')).toMatch(/chest x-ray/);
  });

  it('extracts a full ACI-Bench encounter well within 200 ms', async () => {
    const [encounter] = loadAciBench('valid');
    const extractor = new OfflineExtractor();
    extractOffline({ transcript: encounter!.src, sop: sop(ACI_BENCH_SECTIONS), examples: [] }); // warm the model
    const t0 = performance.now();
    const { result, usage } = await extractor.extract({ transcript: encounter!.src, sop: sop(ACI_BENCH_SECTIONS), examples }, {});
    expect(performance.now() - t0).toBeLessThan(200);
    expect(usage).toEqual([]);
    expect(result.renderedNote.length).toBeGreaterThan(200);
    expect(extractor.name).toBe('offline');
  });

  it('honours an aborted call', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new OfflineExtractor().extract({ transcript, sop: sop(ACI_BENCH_SECTIONS), examples }, { signal: controller.signal })).rejects.toThrow();
  });
});

describe('extractOffline reads like a clinical note', () => {
  const [encounter] = loadAciBench('valid');
  const labelledNote = [
    'ASSESSMENT AND PLAN', '', 'Congestive heart failure.', '• Medical Reasoning:', '• Additional Testing:', '• Medical Treatment: Increase Lasix to 80 mg daily.', '',
    'Patient Agreements: The patient understands and agrees with the recommended medical treatment plan.',
  ].join('\n');
  const past = [{ encounterId: 'past-3', transcript: '', note: labelledNote }];
  const soap = extractOffline({ transcript: encounter!.src, sop: sop(SOAP_NOTE_SECTIONS), examples: past });
  const field = (key: string) => soap.sections.flatMap((s) => s.fields).find((f) => f.key === key)!;

  it('finds a short chief complaint grounded in the words it came from', () => {
    const cc = field('chief_complaint');
    expect(cc.text).toBe('Follow-up of chronic problems.');
    expect(cc.grounded).toBe(true);
    expect(encounter!.src.slice(cc.evidence[0]!.start, cc.evidence[0]!.end)).toMatch(/follow-up of his chronic problems/);
  });

  it('never emits a label with nothing after it, nor fragments that break off', () => {
    for (const f of soap.sections.flatMap((s) => s.fields)) {
      const text = [f.text, ...f.items].join('\n');
      expect(text).not.toMatch(/:\s*(\n|$)/);
      // "the regurgitation that he has." is a whole clause; a bare "he has." is not.
      expect(text).not.toMatch(/\b(kinda|it was|want he|want she|(?<!that )he has)\.(\s|$)/i);
    }
  });

  it('keeps problems in the assessment and one action per plan item', () => {
    expect(field('assessment').text.split('\n').map((l) => l.split(':')[0])).toEqual(['Congestive heart failure', 'Hypertension']);
    const plan = field('plan').items;
    expect(plan).toContain('Increase his lasix to 80 mg daily.');
    expect(plan).toContain('He should weigh himself every day.');
    for (const item of plan) expect(field('assessment').text).not.toContain(item);
  });

  it('states agreement only where the patient assented, grounded there', () => {
    const plan = field('plan');
    expect(plan.items.at(-1)).toBe('The patient understands and agrees with the plan.');
    const noAssent = encounter!.src.replace('that sounds fine', 'i will think about it');
    const other = extractOffline({ transcript: noAssent, sop: sop(ACI_BENCH_SECTIONS), examples: past }).renderedNote;
    expect(other).not.toMatch(/understands and agrees/);
    const aci = extractOffline({ transcript: encounter!.src, sop: sop(ACI_BENCH_SECTIONS), examples: past }).renderedNote;
    expect(aci).toMatch(/Congestive heart failure\.\n• Medical Reasoning: He is retaining fluid\./);
    expect(aci).toMatch(/Patient Agreements: The patient understands and agrees/);
  });

  it('leaves vitals empty when only "looks good" was said, and reads spoken ones as digits', () => {
    expect(field('blood_pressure').text).toBe('');
    const spoken = extractOffline({ transcript: '[doctor] your blood pressure is one thirty over eighty five and your pulse is sixty eight .', sop: sop(SOAP_NOTE_SECTIONS), examples: [] });
    const get = (key: string) => spoken.sections.flatMap((s) => s.fields).find((f) => f.key === key)!;
    expect(get('blood_pressure').text).toBe('130/85');
    expect(get('heart_rate').number).toBe(68);
    expect(get('heart_rate').grounded).toBe(true);
  });

  it("puts no other patient's numbers in the note", () => {
    expect(numericSupport(soap.renderedNote, encounter!.src).rate).toBe(1);
  });
});

describe('extractOffline history lists', () => {
  // Another patient's note lends the layout (list style, "CURRENT MEDICATIONS") and nothing else.
  const listNote = [
    'PAST MEDICAL HISTORY', '', 'Diabetes.', '',
    'CURRENT MEDICATIONS', '', 'Metformin 500 mg twice daily.', '',
    'FAMILY HISTORY', '', 'Mother with history of breast cancer.',
  ].join('\n');
  const listTranscript = [
    '[doctor] any medical problems ?',
    "[patient] i've had high blood pressure for a few years .",
    '[doctor] what are you taking for it ?',
    "[patient] i'm taking lisinopril twenty milligrams a day .",
    '[doctor] anything in the family ?',
    '[patient] my father had kidney stones .',
  ].join('\n');
  const sections = ACI_BENCH_SECTIONS.filter((s) => ['medical_history', 'medications', 'family_history'].includes(s.key));
  const result = extractOffline({ transcript: listTranscript, sop: sop(sections), examples: [{ encounterId: 'past-2', transcript: 'x', note: listNote }] });

  it("lists this transcript's conditions, drugs and family illnesses, grounded, under the past notes' titles", () => {
    expect(result.renderedNote).toContain('PAST MEDICAL HISTORY\n\nHypertension.');
    expect(result.renderedNote).toContain('CURRENT MEDICATIONS\n\nLisinopril 20 mg daily.');
    expect(result.renderedNote).toContain('Father with history of kidney stones.');
    for (const s of result.sections) for (const f of s.fields) if (f.text) expect(f.grounded).toBe(true);
  });

  it("never carries the past note's conditions, drugs or numbers", () => {
    expect(result.renderedNote).not.toMatch(/diabetes|metformin|500|breast|mother/i);
    expect(numericSupport(result.renderedNote, listTranscript).supported).toBe(numericSupport(result.renderedNote, listTranscript).total);
  });
});
