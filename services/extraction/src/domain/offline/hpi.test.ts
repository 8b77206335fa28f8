import { describe, expect, it } from 'vitest';
import { hpiStatement } from './hpi.js';
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
});
