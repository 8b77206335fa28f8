// The CPU-heavy work the extraction service runs in its worker pool (cpu-pool.ts): pure functions of
// structured-clone-friendly inputs (protobuf-generated objects are plain objects), one task per call.
// This module is the pool's task module: compiled, the worker entry itself; from the sources the shared
// tsx shim loads it.
import type { TaskMessage } from '@clinote/shared/cpu-pool.js';
import type { SopEvaluation, SopResult } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { EvaluateRequest, EvaluateResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { combineEvaluations, evaluateResult } from './evaluation.js';
import type { ExtractionInput, ExtractionOutput } from './extractor.js';
import { OfflineExtractor } from './offline-extractor.js';
import type { LlmGrounding } from './openai-extractor.js';
import { toSopResult } from './sop-schema.js';

/** Each task kind with what it takes and what it returns. */
export interface ExtractionCpuTasks {
  /** The offline extractor on one SOP. */
  offline_extraction: { input: ExtractionInput; output: ExtractionOutput };
  /** Every SOP result of one Evaluate request scored, and the scores combined. */
  evaluation: { input: EvaluateRequest; output: EvaluateResponse };
  /** An LLM's valid answer for one SOP grounded in the transcript. */
  llm_grounding: { input: LlmGrounding; output: SopResult };
}

const offline = new OfflineExtractor();

export function evaluateRequest(req: EvaluateRequest): EvaluateResponse {
  const evaluations: SopEvaluation[] = req.results.map((result, i) => {
    const sop = req.sops[i]!;
    return { sopId: sop.id, scores: evaluateResult({ transcript: req.transcript, sop, result, referenceNote: req.referenceNote || undefined }) };
  });
  return { evaluations, overall: combineEvaluations(evaluations.map((e) => e.scores)) };
}

/** Runs one task. No bounds here: the pool abandons a task past its deadline by ending its worker. */
export default async function runCpuTask(task: TaskMessage<ExtractionCpuTasks>): Promise<ExtractionCpuTasks[keyof ExtractionCpuTasks]['output']> {
  switch (task.kind) {
    case 'offline_extraction':
      return offline.extract(task.input, {});
    case 'evaluation':
      return evaluateRequest(task.input);
    case 'llm_grounding':
      return toSopResult(task.input.sop, task.input.transcript, task.input.answer);
  }
}
