import { EntitySchema } from '@mikro-orm/core';

/** Tokens and cost of one LLM request, per user: the basis of per-user usage reports. */
export interface LlmUsageEntity {
  id: string;
  userId: string;
  sopId: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  createdAt: Date;
}

export const LlmUsageSchema = new EntitySchema<LlmUsageEntity>({
  name: 'LlmUsageEntity',
  tableName: 'llm_usage',
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid', fieldName: 'user_id' },
    sopId: { type: 'uuid', fieldName: 'sop_id' },
    model: { type: 'text' },
    promptTokens: { type: 'integer', fieldName: 'prompt_tokens' },
    completionTokens: { type: 'integer', fieldName: 'completion_tokens' },
    costUsd: { type: 'double', fieldName: 'cost_usd' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
  },
});

export const extractionEntities = [LlmUsageSchema];
