// A throwaway private CA and one certificate per service, for `pnpm serve`, `pnpm start` and the
// tests: ECDSA P-256, short-lived, each certificate naming its service (CN and SAN DNS) so servers
// can check which service is calling.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface ServiceTls {
  GRPC_TLS_CA: string;
  GRPC_TLS_CERT: string;
  GRPC_TLS_KEY: string;
}

export interface Pki {
  dir: string;
  caFile: string;
  /** GRPC_TLS_* for one certificate identity (a service name, or any other name for tests). */
  forService(name: string): ServiceTls;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

const generate = () => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<KeyPair>;

/**
 * Writes ca.pem and <name>.pem / <name>.key for each name under dir (mode 0600 keys).
 * Every certificate serves and authenticates: SAN DNS:<name>, DNS:localhost, IP:127.0.0.1.
 */
export async function createPki(dir: string, names: string[], validDays = 7): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + validDays * DAY_MS);
  const caKeys = await generate();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=clinote throwaway CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, ca.toString('pem'));
  for (const name of names) {
    const keys = await generate();
    const cert = await x509.X509CertificateGenerator.create({
      subject: `CN=${name}`,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: name },
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
      ],
    });
    writeFileSync(path.join(dir, `${name}.pem`), cert.toString('pem'));
    writeFileSync(path.join(dir, `${name}.key`), await privateKeyPem(keys.privateKey), { mode: 0o600 });
  }
  return pkiAt(dir);
}

export function pkiAt(dir: string): Pki {
  const caFile = path.join(dir, 'ca.pem');
  return {
    dir,
    caFile,
    forService(name) {
      const tls = { GRPC_TLS_CA: caFile, GRPC_TLS_CERT: path.join(dir, `${name}.pem`), GRPC_TLS_KEY: path.join(dir, `${name}.key`) };
      if (!existsSync(tls.GRPC_TLS_CERT)) throw new Error(`no certificate for ${name} in ${dir}`);
      return tls;
    },
  };
}
