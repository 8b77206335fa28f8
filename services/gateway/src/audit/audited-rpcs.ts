// What each public RPC's audit record names: the kind of resource, its id, and whose data it is.
// Typed over the generated service, so a new RPC does not compile until it says what it audits.
import type { handleServerStreamingCall, handleUnaryCall } from '@grpc/grpc-js';
import type { GatewayServiceServer } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import type { AuditResourceType } from '../repositories/audit-events.js';

/** The RPC names of the generated service, without its index signature. */
export type GatewayRpc = keyof { [K in keyof GatewayServiceServer as string extends K ? never : number extends K ? never : K]: true } & string;
// A streaming RPC's response is one message of its stream.
export type RequestOf<M extends GatewayRpc> = GatewayServiceServer[M] extends handleUnaryCall<infer Req, unknown>
  ? Req
  : GatewayServiceServer[M] extends handleServerStreamingCall<infer Req, unknown>
    ? Req
    : never;
export type ResponseOf<M extends GatewayRpc> = GatewayServiceServer[M] extends handleUnaryCall<never, infer Res>
  ? Res
  : GatewayServiceServer[M] extends handleServerStreamingCall<never, infer Res>
    ? Res
    : never;

export interface AuditSpec<Req, Res> {
  resourceType: AuditResourceType;
  /** The resource's id, from the request or (for what the call creates) the response; none for collections. */
  resourceId?: (req: Req, res: Res | undefined) => string | undefined;
  /** The user the request names, when it may name one: then that is whose data it concerns. */
  namedUser?: (req: Req) => string;
  /** Streams: the messages held back until the record is written (the rest leave as they come). */
  final?: (res: Res) => boolean;
}

const named = (req: { userId: string }) => req.userId;

export const AUDITED_RPCS: { [M in GatewayRpc]: AuditSpec<RequestOf<M>, ResponseOf<M>> } = {
  createUser: { resourceType: 'user', resourceId: (_req, res) => res?.user?.id },
  getUser: { resourceType: 'user', namedUser: named, resourceId: (req, res) => res?.user?.id ?? req.userId },
  createSop: { resourceType: 'sop', namedUser: named, resourceId: (_req, res) => res?.sop?.id },
  updateSop: { resourceType: 'sop', namedUser: named, resourceId: (req) => req.sopId },
  deactivateSop: { resourceType: 'sop', namedUser: named, resourceId: (req) => req.sopId },
  listSops: { resourceType: 'sop', namedUser: named },
  importEncounters: { resourceType: 'encounter', namedUser: named },
  extract: { resourceType: 'extraction', namedUser: named, resourceId: (_req, res) => res?.extraction?.id },
  // The stream's last message holds the saved extraction; it leaves only after the record is written.
  extractStream: { resourceType: 'extraction', namedUser: named, resourceId: (_req, res) => res?.saved?.extraction?.id, final: (res) => res.saved !== undefined },
  exportFhir: { resourceType: 'extraction', namedUser: named, resourceId: (req) => req.extractionId },
  getExtraction: { resourceType: 'extraction', namedUser: named, resourceId: (req) => req.extractionId },
  listExtractions: { resourceType: 'extraction', namedUser: named },
  deleteEncounter: { resourceType: 'encounter', namedUser: named, resourceId: (req) => req.encounterId },
  deleteExtraction: { resourceType: 'extraction', namedUser: named, resourceId: (req) => req.extractionId },
  deleteUser: { resourceType: 'user', namedUser: named, resourceId: (req) => req.userId },
  listAuditEvents: { resourceType: 'audit_event', namedUser: named },
};
