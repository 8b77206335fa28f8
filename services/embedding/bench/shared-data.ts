import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

// The shared data sits beside the repository: <repo>/../shared/data.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function sharedDataDir(): string {
  const dir = resolve(REPO_ROOT, '../shared/data');
  if (!existsSync(dir)) {
    throw new Error(`shared data not found at ${dir}: expected ../shared/data relative to the repository root`);
  }
  return dir;
}

export interface AciEncounter {
  file: string;
  src: string;
  tgt: string;
}

export function loadAciBench(split: 'train' | 'valid'): AciEncounter[] {
  const raw = JSON.parse(readFileSync(resolve(sharedDataDir(), 'aci-bench', `${split}.json`), 'utf8')) as {
    data: AciEncounter[];
  };
  return raw.data;
}

export interface MtsDialogPair {
  id: string;
  sectionHeader: string;
  sectionText: string;
  dialogue: string;
}

export function loadMtsDialog(split: 'train' | 'valid'): MtsDialogPair[] {
  const rows = parse(readFileSync(resolve(sharedDataDir(), 'mts-dialog', `${split}.csv`), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  return rows.map((r) => ({
    id: r['ID'] ?? '',
    sectionHeader: r['section_header'] ?? '',
    sectionText: r['section_text'] ?? '',
    dialogue: r['dialogue'] ?? '',
  }));
}

/** The "CHIEF COMPLAINT" line of an ACI-Bench reference note, if it has one. */
export function chiefComplaint(note: string): string | undefined {
  const match = /CHIEF COMPLAINT\s*\n+([^\n]+)/.exec(note);
  return match?.[1]?.trim();
}
