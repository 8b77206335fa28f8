import { ContextServiceService } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { internalAuthenticatorFor } from '@clinote/shared/auth/internal-authenticator.js';
import { Admission } from '@clinote/shared/admission.js';
import { handlerBinder, type GrpcServerOptions } from '@clinote/shared/grpc-server.js';
import { actingFor, databaseReachable } from '@clinote/shared/orm.js';
import { serve, type StartedService } from '@clinote/shared/service.js';
import type { ContextConfig } from './config.js';
import { createDeps, type ContextDeps } from './deps.js';
import { getEncounter, listEncounters } from './handlers/encounters.js';
import { deleteEncounter, eraseUserData } from './handlers/erasure.js';
import { gatherContext } from './handlers/gather-context.js';
import { importEncounters } from './handlers/import-encounters.js';
import { saveEncounter } from './handlers/save-encounter.js';
import { selectContext } from './handlers/select-context.js';
import { createSop, deactivateSop, listSops, updateSop } from './handlers/sops.js';

export function createServerOptions(deps: ContextDeps): GrpcServerOptions {
  const base = {
    scope: 'clinote-context',
    logger: deps.logger,
    around: actingFor(deps.orm),
    authenticate: internalAuthenticatorFor(deps.config),
    admission: new Admission(deps.config.MAX_CONCURRENT_CALLS),
  };
  const bind = handlerBinder(base, deps);
  return {
    ...base,
    contract: 'context',
    readiness: () => databaseReachable(deps.orm),
    bindings: [
      {
        name: 'clinote.context.v1.ContextService',
        definition: ContextServiceService,
        implementation: {
          createSop: bind('CreateSop', createSop),
          updateSop: bind('UpdateSop', updateSop),
          deactivateSop: bind('DeactivateSop', deactivateSop),
          listSops: bind('ListSops', listSops),
          importEncounters: bind('ImportEncounters', importEncounters),
          gatherContext: bind('GatherContext', gatherContext),
          selectContext: bind('SelectContext', selectContext),
          saveEncounter: bind('SaveEncounter', saveEncounter),
          getEncounter: bind('GetEncounter', getEncounter),
          listEncounters: bind('ListEncounters', listEncounters),
          deleteEncounter: bind('DeleteEncounter', deleteEncounter),
          eraseUserData: bind('EraseUserData', eraseUserData),
        },
      },
    ],
  };
}

export async function startContext(
  config: ContextConfig,
  overrides: { onQuery?: () => void } = {},
): Promise<StartedService<ContextDeps>> {
  const deps = await createDeps(config, overrides);
  return serve(deps, createServerOptions(deps), config);
}
