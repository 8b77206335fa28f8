/** Who a call acts for: the clinician the gateway authenticated, carried to every internal service. */
export interface Principal {
  /** Internal user id (UUID): the owner of every row the call may touch. */
  userId: string;
  /** May act on other clinicians' data (erasure, audit queries). */
  admin: boolean;
}

/** Metadata key of the gateway-signed identity token on internal calls. */
export const IDENTITY_METADATA_KEY = 'x-clinote-identity';
