import { describe, expect, it } from 'vitest';
import { agreeVerbs, answeredQuestion, isQuestion, normaliseSentence, patientPronouns, withPronouns } from './normalise.js';

const she = patientPronouns('she is a 50-year-old female . her knee hurts .');

describe('normaliseSentence', () => {
  it('drops fillers and puts the patient in the third person', () => {
    expect(normaliseSentence("um , i've been , you know , taking my lisinopril .", 'patient', she)).toBe('She has been, taking her lisinopril.');
  });
  it('rewrites the clinician speaking to the patient and their plans', () => {
    expect(normaliseSentence("i'm going to go ahead and increase your lasix to forty milligrams .", 'doctor', she)).toBe('We will increase her lasix to 40 mg.');
  });
});

describe('answeredQuestion', () => {
  it('turns a denied symptom question into a statement', () => {
    expect(answeredQuestion('any chest pain or shortness of breath ?', 'no .')).toBe('Denies chest pain or shortness of breath.');
    expect(answeredQuestion('have you had any fever ?', 'yeah , a little .')).toBe('Reports fever.');
  });
  it('leaves open questions alone', () => {
    expect(answeredQuestion('how are you doing ?', 'fine .')).toBeUndefined();
  });
});

describe('note-style rewriting', () => {
  const he = patientPronouns('[doctor] logan is a 58 year old male . [patient] my daughter said she was worried .');

  it('reads the sex from a dictated age line before counting pronouns', () => {
    expect(he.subject).toBe('he');
    expect(patientPronouns('[doctor] hello mrs smith how are you').subject).toBe('she');
  });
  it('makes the verb agree once the patient is in the third person', () => {
    expect(normaliseSentence('i just feel bloated every once in a while', 'patient', he)).toBe('He just feels bloated every once in a while.');
    expect(agreeVerbs('she have pain and he do not')).toBe('she has pain and he does not');
  });
  it('tells questions without question marks', () => {
    expect(isQuestion('so have you been taking your medications regularly')).toBe(true);
    expect(isQuestion('any fever or chills')).toBe(true);
    expect(isQuestion('i have been taking my medications')).toBe(false);
  });
  it('keeps a dictated order and drops the assistant command words', () => {
    expect(normaliseSentence('hey , dragon , order an echocardiogram .', 'doctor', he)).toBe('Order an echocardiogram.');
  });
  it("gives a past note's sentence this patient's pronouns and title", () => {
    expect(withPronouns('She has been doing well with her diet. Ms. Smith agrees.', he)).toBe('He has been doing well with his diet. Mr. Smith agrees.');
    expect(withPronouns('I advised him to rest.', she)).toBe('I advised her to rest.');
  });
});
