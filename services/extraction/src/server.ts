import { ExtractionServiceService } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { internalAuthenticatorFor } from '@clinote/shared/auth/internal-authenticator.js';
import { Admission } from '@clinote/shared/admission.js';
import { handlerBinder, streamingHandlerBinder, type GrpcServerOptions } from '@clinote/shared/grpc-server.js';
import { actingFor, databaseReachable } from '@clinote/shared/orm.js';
import { serve, type StartedService } from '@clinote/shared/service.js';
import type { ExtractionConfig } from './config.js';
import { createDeps, type ExtractionDeps } from './deps.js';
import { eraseUser } from './handlers/erase-user.js';
import { evaluate } from './handlers/evaluate.js';
import { extract } from './handlers/extract.js';
import { extractNotes } from './handlers/extract-notes.js';

export function createServerOptions(deps: ExtractionDeps): GrpcServerOptions {
  const base = {
    scope: 'clinote-extraction',
    logger: deps.logger,
    around: actingFor(deps.orm),
    authenticate: internalAuthenticatorFor(deps.config),
    admission: new Admission(deps.config.MAX_CONCURRENT_CALLS),
  };
  const bind = handlerBinder(base, deps);
  const bindStream = streamingHandlerBinder(base, deps);
  return {
    ...base,
    contract: 'extraction',
    readiness: () => databaseReachable(deps.orm),
    bindings: [
      {
        name: 'clinote.extraction.v1.ExtractionService',
        definition: ExtractionServiceService,
        implementation: {
          extract: bind('Extract', extract),
          evaluate: bind('Evaluate', evaluate),
          extractNotes: bindStream('ExtractNotes', extractNotes),
          eraseUser: bind('EraseUser', eraseUser),
        },
      },
    ],
  };
}

export async function startExtraction(config: ExtractionConfig): Promise<StartedService<ExtractionDeps>> {
  const deps = await createDeps(config);
  return serve(deps, createServerOptions(deps), config);
}
