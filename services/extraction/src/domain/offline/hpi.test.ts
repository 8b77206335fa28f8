import { describe, expect, it } from 'vitest';
import { hpiStatement, topicAnswer } from './hpi.js';
import { patientPronouns } from './normalise.js';

const he = patientPronouns('he said his knee');

describe('hpiStatement', () => {
  it('turns a symptom said alone into a report and drops dangling clauses', () => {
    expect(hpiStatement('Slight cramps.', he)).toBe('He reports slight cramps.');
    expect(hpiStatement('Just when he is doing the projects.', he)).toBeUndefined();
  });

  it("drops the clinician's conversational leads and small talk, keeping the finding", () => {
    expect(hpiStatement('I know that he had some early arthritis in his knee.', he)).toBe('He had some early arthritis in his knee.');
    expect(hpiStatement('A little dizziness and we just talked a lot about a lot of other symptoms.', he)).toBe('He reports a little dizziness.');
    expect(hpiStatement('For his third problem, his hypertension.', he)).toBeUndefined();
  });

  it('keeps whole statements as they are', () => {
    expect(hpiStatement('He feels bloated every once in a while.', he)).toBe('He feels bloated every once in a while.');
  });

  it('writes a duration said alone as a statement', () => {
    expect(hpiStatement('Probably since labor day, so about 5 weeks or so.', he)).toBe('This has been going on since labor day, about 5 weeks.');
    expect(hpiStatement('About 3 weeks ago.', he)).toBe('This started 3 weeks ago.');
    expect(hpiStatement('About 4 days now.', he)).toBe('This has been going on for 4 days.');
  });

  it('drops greetings, bare answers and questions that lost their question mark', () => {
    expect(hpiStatement("Hi wayne how're he today.", he, 'doctor')).toBeUndefined();
    expect(hpiStatement('No not that he can recall.', he, 'patient')).toBeUndefined();
    expect(hpiStatement("Then does the pain radiate down his arm or up into his shoulder.", he, 'doctor')).toBeUndefined();
    expect(hpiStatement('He does have pain when he turns his wrist.', he, 'doctor')).toBe('He does have pain when he turns his wrist.');
  });

  it("puts the patient's household in the third person and drops recaps of what was talked about", () => {
    expect(hpiStatement('We began construction on our kitchen over labor day weekend.', he, 'patient')).toBe('They began construction on their kitchen over labor day weekend.');
    expect(hpiStatement('We came to see you last spring.', he, 'patient')).toBe('We came to see you last spring.');
    expect(hpiStatement("I know that we've kinda talked about him being able to watch his healthy food intake.", he, 'doctor')).toBeUndefined();
    expect(hpiStatement('He is just so tired and fatigued.', he)).toBe('He is so tired and fatigued.');
  });

  it("resolves an \"it\" answer against the clinician's topic question, and drops remarks that name nothing", () => {
    expect(topicAnswer('and , how about your diet ? are you watching your diet ?', "uh , it's been a little bit of a struggle .", he)).toBe('His diet has been a little bit of a struggle.');
    expect(topicAnswer('how about your diet ?', 'i try to eat well .', he)).toBeUndefined();
    expect(topicAnswer('any chest pain ?', "it's been fine .", he)).toBeUndefined();
    expect(hpiStatement("The last year, it's been a little chaotic.", he, 'patient')).toBeUndefined();
    expect(hpiStatement("It's been hurting more at night.", he, 'patient')).toBe("It's been hurting more at night.");
  });
});
