// How an internal service decides who is calling: the transport's certificate must belong to an
// allowed peer (mTLS), and the call must carry a gateway-signed identity token for the clinician.
import type { PeerCertificate } from 'node:tls';
import { PermissionDeniedError, UnauthenticatedError } from '../errors.js';
import type { Authenticator } from '../grpc-server.js';
import { grpcCredentials, type TlsSettings } from '../grpc-tls.js';
import { IdentityVerifier } from './identity-token.js';
import { IDENTITY_METADATA_KEY } from './principal.js';

export interface InternalAuthOptions {
  verifier: IdentityVerifier;
  /** True when the server requires client certificates: then the peer's identity is checked too. */
  mutualTls: boolean;
  /** Certificate identities (CN or SAN DNS/URI names) allowed to call, e.g. ["gateway"]. */
  allowedPeers: string[];
}

/** The names a certificate claims: its CN and its SAN DNS and URI entries. */
export function certificateIdentities(cert: PeerCertificate | undefined): string[] {
  if (!cert || !cert.subject) return [];
  const names = new Set<string>();
  const cn = cert.subject.CN;
  if (typeof cn === 'string') names.add(cn);
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const [kind, ...rest] = entry.trim().split(':');
    if (kind === 'DNS' || kind === 'URI') names.add(rest.join(':'));
  }
  return [...names];
}

export function internalAuthenticator(options: InternalAuthOptions): Authenticator {
  const allowed = new Set(options.allowedPeers);
  return async (call) => {
    if (options.mutualTls) {
      const identities = certificateIdentities(call.authContext.sslPeerCertificate);
      if (identities.length === 0) throw new UnauthenticatedError();
      if (!identities.some((name) => allowed.has(name))) throw new PermissionDeniedError('this peer may not call this service');
    }
    const token = call.metadata.get(IDENTITY_METADATA_KEY)[0];
    return options.verifier.verify(typeof token === 'string' ? token : undefined);
  };
}

/** The authenticator an internal service builds from its configuration (mTLS on when its TLS files are set). */
export function internalAuthenticatorFor(
  config: { INTERNAL_IDENTITY_JWKS_FILE: string; GRPC_TLS_ALLOWED_PEERS: string[] } & TlsSettings,
): Authenticator {
  return internalAuthenticator({
    verifier: new IdentityVerifier(config.INTERNAL_IDENTITY_JWKS_FILE),
    mutualTls: grpcCredentials(config).mutualTls,
    allowedPeers: config.GRPC_TLS_ALLOWED_PEERS,
  });
}
