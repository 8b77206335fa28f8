import { GatewayServiceService } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { Admission } from '@clinote/shared/admission.js';
import { handlerBinder, streamingHandlerBinder, type GrpcServerOptions } from '@clinote/shared/grpc-server.js';
import { actingFor, databaseReachable } from '@clinote/shared/orm.js';
import { serve, type StartedService } from '@clinote/shared/service.js';
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { auditedBinder, auditedStreamBinder } from './audit/audit-trail.js';
import type { GatewayConfig } from './config.js';
import { createDeps, type GatewayDeps } from './deps.js';
import { extract } from './handlers/extract.js';
import { extractStream } from './handlers/extract-stream.js';
import { exportFhir } from './handlers/export-fhir.js';
import { listAuditEvents } from './handlers/audit-events.js';
import { deleteEncounter, deleteExtraction, deleteUser } from './handlers/erasure.js';
import { getExtraction, listExtractions } from './handlers/extractions.js';
import { importEncounters } from './handlers/import-encounters.js';
import { createSop, deactivateSop, listSops, updateSop } from './handlers/sops.js';
import { createUser, getUser } from './handlers/users.js';

export function createServerOptions(deps: GatewayDeps): GrpcServerOptions {
  const base = {
    scope: 'clinote-gateway',
    logger: deps.logger,
    around: actingFor(deps.orm),
    authenticate: deps.auth.authenticate,
    admission: new Admission(deps.config.MAX_CONCURRENT_CALLS),
  };
  // Every RPC reads or writes patient data: each call is audited (audit/audited-rpcs.ts says how).
  const bind = auditedBinder(handlerBinder(base, deps));
  const bindStream = auditedStreamBinder(streamingHandlerBinder(base, deps));
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
          extractStream: bindStream('ExtractStream', extractStream),
          getExtraction: bind('GetExtraction', getExtraction),
          exportFhir: bind('ExportFhir', exportFhir),
          listExtractions: bind('ListExtractions', listExtractions),
          deleteEncounter: bind('DeleteEncounter', deleteEncounter),
          deleteExtraction: bind('DeleteExtraction', deleteExtraction),
          deleteUser: bind('DeleteUser', deleteUser),
          listAuditEvents: bind('ListAuditEvents', listAuditEvents),
        },
      },
    ],
  };
}

export async function startGateway(config: GatewayConfig): Promise<StartedService<GatewayDeps>> {
  const deps = await createDeps(config);
  // The public listener: one-way TLS for clients when configured; the internal mTLS is only for peers.
  return serve(deps, createServerOptions(deps), config, publicServerCredentials(config));
}

function publicServerCredentials(config: GatewayConfig): ServerCredentials {
  if (!config.PUBLIC_TLS_CERT || !config.PUBLIC_TLS_KEY) return ServerCredentials.createInsecure();
  const keyCert = { cert_chain: readFileSync(config.PUBLIC_TLS_CERT), private_key: readFileSync(config.PUBLIC_TLS_KEY) };
  return ServerCredentials.createSsl(null, [keyCert], false);
}
