/** The "CHIEF COMPLAINT" line of an ACI-Bench reference note, if it has one. */
export function chiefComplaint(note: string): string | undefined {
  const match = /CHIEF COMPLAINT\s*\n+([^\n]+)/.exec(note);
  return match?.[1]?.trim();
}
