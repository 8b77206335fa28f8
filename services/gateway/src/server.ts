import { GatewayServiceService } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { handlerBinder, type GrpcServerOptions } from '@clinote/shared/grpc-server.js';
import { databaseReachable, withRequestContext } from '@clinote/shared/orm.js';
import { serve, type StartedService } from '@clinote/shared/service.js';
import type { GatewayConfig } from './config.js';
import { createDeps, type GatewayDeps } from './deps.js';
import { extract } from './handlers/extract.js';
import { getExtraction, listExtractions } from './handlers/extractions.js';
import { importEncounters } from './handlers/import-encounters.js';
import { createSop, deactivateSop, listSops, updateSop } from './handlers/sops.js';
import { createUser, getUser } from './handlers/users.js';

export function createServerOptions(deps: GatewayDeps): GrpcServerOptions {
  const base = { scope: 'clinote-gateway', logger: deps.logger, around: withRequestContext(deps.orm) };
  const bind = handlerBinder(base, deps);
  return {
    ...base,
    contract: 'gateway',
    readiness: () => databaseReachable(deps.orm),
    bindings: [
      {
        name: 'clinote.gateway.v1.GatewayService',
        definition: GatewayServiceService,
        implementation: {
          createUser: bind('CreateUser', createUser),
          getUser: bind('GetUser', getUser),
          createSop: bind('CreateSop', createSop),
          updateSop: bind('UpdateSop', updateSop),
          deactivateSop: bind('DeactivateSop', deactivateSop),
          listSops: bind('ListSops', listSops),
          importEncounters: bind('ImportEncounters', importEncounters),
          extract: bind('Extract', extract),
          getExtraction: bind('GetExtraction', getExtraction),
          listExtractions: bind('ListExtractions', listExtractions),
        },
      },
    ],
  };
}

export async function startGateway(config: GatewayConfig): Promise<StartedService<GatewayDeps>> {
  const deps = await createDeps(config);
  return serve(deps, createServerOptions(deps), config);
}
