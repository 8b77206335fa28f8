import type { ContextExample } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { SopResult, TokenUsage } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';

/** What one extraction needs: the transcript, the SOP to fill, and the chosen past encounters. */
export interface ExtractionInput {
  transcript: string;
  sop: Sop;
  examples: ContextExample[];
}

export interface ExtractionOutput {
  result: SopResult;
  usage: TokenUsage[];
}

/** The caller's bounds; every outgoing call must honour them. */
export interface CallBounds {
  signal?: AbortSignal;
  deadline?: Date;
}

export interface Extractor {
  readonly name: string;
  extract(input: ExtractionInput, bounds: CallBounds): Promise<ExtractionOutput>;
}
