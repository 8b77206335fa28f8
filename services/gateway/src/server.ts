import { GatewayServiceService } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { startGrpcServer, unary, type CallContext, type GrpcServerOptions } from '@clinote/shared/grpc-server.js';
import { databaseReachable, withRequestContext } from '@clinote/shared/orm.js';
import { startedService, type StartedService } from '@clinote/shared/service.js';
import type { GatewayConfig } from './config.js';
import { createDeps, type GatewayDeps } from './deps.js';
import { extract } from './handlers/extract.js';
import { getExtraction, listExtractions } from './handlers/extractions.js';
import { importEncounters } from './handlers/import-encounters.js';
import { createSop, deactivateSop, listSops, updateSop } from './handlers/sops.js';
import { createUser, getUser } from './handlers/users.js';

export function createServerOptions(deps: GatewayDeps): GrpcServerOptions {
  const base = { scope: 'clinote-gateway', logger: deps.logger, around: withRequestContext(deps.orm) };
  const bind = <Req, Res>(method: string, handler: (d: GatewayDeps, req: Req, ctx: CallContext) => Promise<Res>) =>
    unary<Req, Res>(base, method, (req, ctx) => handler(deps, req, ctx));
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
  const server = await startGrpcServer(createServerOptions(deps), config.GRPC_ADDRESS);
  return startedService(server, deps, config.SHUTDOWN_GRACE_MS);
}
