import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

export interface TlsSettings {
  /** PEM files: the CA that signs every service's certificate, and this service's own certificate and key. */
  GRPC_TLS_CA?: string | undefined;
  GRPC_TLS_CERT?: string | undefined;
  GRPC_TLS_KEY?: string | undefined;
}

export interface GrpcCredentials {
  server: ServerCredentials;
  client: ChannelCredentials;
  mutualTls: boolean;
}

/**
 * mTLS between services when the three files are configured: servers require a client certificate
 * signed by the CA, and clients present theirs. Without them, plaintext (local development, tests).
 */
export function grpcCredentials(settings: TlsSettings): GrpcCredentials {
  const { GRPC_TLS_CA: ca, GRPC_TLS_CERT: cert, GRPC_TLS_KEY: key } = settings;
  const given = [ca, cert, key].filter(Boolean).length;
  if (given !== 0 && given !== 3) {
    throw new Error('invalid configuration: GRPC_TLS_CA, GRPC_TLS_CERT and GRPC_TLS_KEY are set together or not at all');
  }
  if (!ca || !cert || !key) return { server: ServerCredentials.createInsecure(), client: credentials.createInsecure(), mutualTls: false };
  const [caPem, certPem, keyPem] = [readFileSync(ca), readFileSync(cert), readFileSync(key)];
  return {
    server: ServerCredentials.createSsl(caPem, [{ cert_chain: certPem, private_key: keyPem }], true),
    client: credentials.createSsl(caPem, keyPem, certPem),
    mutualTls: true,
  };
}
