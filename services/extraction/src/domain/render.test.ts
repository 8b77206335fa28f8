import { describe, expect, it } from 'vitest';
import { FieldType } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { renderNote } from './render.js';

const value = (key: string, text: string, items: string[] = []) => ({ key, text, items, unit: '', code: '', evidence: [], grounded: true });

describe('renderNote', () => {
  it('renders upper-case titles, blank-line separated, skipping empty sections', () => {
    const field = (key: string) => ({ key, label: key, type: FieldType.FIELD_TYPE_TEXT, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '' });
    const sop = {
      sections: [
        { key: 'cc', title: 'Chief complaint', instructions: '', fields: [field('text')] },
        { key: 'ros', title: 'Review of systems', instructions: '', fields: [field('text')] },
        { key: 'plan', title: 'Plan', instructions: '', fields: [field('meds'), field('follow_up')] },
      ],
    };
    const note = renderNote(sop, [
      { key: 'cc', title: 'Chief complaint', fields: [value('text', 'Knee pain.')] },
      { key: 'ros', title: 'Review of systems', fields: [value('text', '')] },
      { key: 'plan', title: 'Plan', fields: [value('meds', '', ['Ice.', 'Rest.']), value('follow_up', 'Two weeks.')] },
    ]);
    expect(note).toBe('CHIEF COMPLAINT\n\nKnee pain.\n\nPLAN\n\nmeds: Ice.\nRest.\nfollow_up: Two weeks.');
  });
});
