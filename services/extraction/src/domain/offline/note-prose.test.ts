import { describe, expect, it } from 'vitest';
import { asNoteSentence, inNoteStyle, withoutContractions } from './note-prose.js';
import { patientPronouns } from './normalise.js';

const she = patientPronouns('she said her knee hurts , she is fine');

describe('asNoteSentence', () => {
  it('takes openers, fillers and broken-off words out', () => {
    expect(asNoteSentence('So, her x-ray looks normal with no fractures.')).toBe('Her x-ray looks normal with no fractures.');
    expect(asNoteSentence("She'll be 2 mo- 2 next month.")).toBe('She will be 2 next month.');
    expect(asNoteSentence('And then she has been taking ibuprofen, kinda, but it is still painful.')).toBe('She has been taking ibuprofen, but it is still painful.');
    expect(asNoteSentence('Denies chest pain, nausea or vomiting-.')).toBe('Denies chest pain, nausea or vomiting.');
  });

  it('rewrites the patient addressed as "you" in the third person', () => {
    expect(asNoteSentence('Your lungs are clear without wheezes.', undefined, she)).toBe('Her lungs are clear without wheezes.');
  });

  it('leaves out what cannot be rewritten cleanly', () => {
    expect(asNoteSentence("And, his prior lobectomy, there's no.")).toBeUndefined();
    expect(asNoteSentence('Any chest pain?')).toBeUndefined();
    expect(asNoteSentence('She really needed to see you 3 months.')).toBeUndefined();
    expect(asNoteSentence('He reports pain Assessment.')).toBeUndefined();
  });

  it('leaves out a sentence the note already stated', () => {
    const seen = new Set<string>();
    expect(asNoteSentence('She presents for right knee pain.', seen)).toBe('She presents for right knee pain.');
    expect(asNoteSentence('She presents for right knee pain.', seen)).toBeUndefined();
  });
});

describe('inNoteStyle', () => {
  it('keeps a line label and the sentences that pass', () => {
    expect(inNoteStyle('• Medical Reasoning: So, it is a sprain. Any questions?')).toBe('• Medical Reasoning: It is a sprain.');
    expect(inNoteStyle('• Blood Pressure:')).toBe('• Blood Pressure:');
    expect(inNoteStyle('Um, okay?')).toBe('');
  });
});

describe('withoutContractions', () => {
  it('spells contractions out and leaves possessives', () => {
    expect(withoutContractions("she does n't smoke , it 's been bad , they're fine , i can't , john's knee")).toBe(
      "she does not smoke , it has been bad , they are fine , i cannot , john's knee",
    );
  });
});

describe('the rewrite and the check agree', () => {
  it('leaves no residue that note-style counts in what it keeps', async () => {
    const { residueOf } = await import('@clinote/shared/note-style.js');
    const spoken = ['Okay, so, um, her knee is, you know, kinda sore.', 'Yeah, well, she ha- has pain, alright.', 'And then like the swelling went down.', 'Uh, she is 2 mo- 2 months out.'];
    for (const s of spoken) {
      const kept = asNoteSentence(s);
      expect(kept).toBeDefined();
      expect(residueOf(kept!).size, kept).toBe(0);
    }
  });
});

describe('spoken forms', () => {
  it('spells out "gon na" and drops hedges a note leaves out', () => {
    expect(asNoteSentence('We are gon na just really try physical therapy.')).toBe('We are going to try physical therapy.');
  });
});

describe('small talk', () => {
  it('leaves out greetings and acknowledgements, which state nothing', () => {
    expect(asNoteSentence("Afternoon, ma'am.")).toBeUndefined();
    expect(asNoteSentence('Got it.')).toBeUndefined();
    expect(asNoteSentence('That is right.')).toBeUndefined();
    expect(asNoteSentence('The pain is right here in the knee.')).toBe('The pain is right here in the knee.');
  });
});
