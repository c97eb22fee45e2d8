// A throwaway certificate authority for the demo cluster and the tests: CA, server and client certificates (ECDSA P-256).

// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type WebCrypto = Parameters<typeof x509.cryptoProvider.set>[0];
type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type Key = KeyPair['privateKey'];

x509.cryptoProvider.set(webcrypto as unknown as WebCrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  /** A server certificate for the given DNS names and IP addresses, signed by this CA. */
  issueServerCertificate(names: readonly string[]): Promise<KeyPairPem>;
  /** A client certificate as Kubernetes reads it: CN is the user, each O a group. */
  issueClientCertificate(commonName: string, organizations?: readonly string[]): Promise<KeyPairPem>;
}

export interface Pki {
  readonly ca: CertificateAuthority;
  /** For localhost, 127.0.0.1 and ::1. */
  readonly server: KeyPairPem;
}

let serial = Date.now();
const nextSerial = (): string => (serial++).toString(16).padStart(16, '0');

async function keyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as KeyPair;
}

async function keyPem(key: Key): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function isIpAddress(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

/** Creates a new CA. Each call is independent: a second CA is "untrusted" by servers of the first. */
export async function createCertificateAuthority(commonName = 'kubegate-test-ca'): Promise<CertificateAuthority> {
  const caKeys = await keyPair();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    ],
  });

  const issue = async (subject: x509.JsonName, extensions: x509.Extension[]): Promise<KeyPairPem> => {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: nextSerial(),
      subject,
      issuer: caCert.subject,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 365 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...extensions],
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
  };

  return {
    certPem: caCert.toString('pem'),
    keyPem: await keyPem(caKeys.privateKey),
    issueServerCertificate: (names) =>
      issue(
        [{ CN: [names[0] ?? 'localhost'] }],
        [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
          new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIpAddress(name) ? 'ip' : 'dns', value: name }))),
        ],
      ),
    issueClientCertificate: (commonName, organizations = []) =>
      issue(
        [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }],
        [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([CLIENT_AUTH]),
        ],
      ),
  };
}

export async function createPki(): Promise<Pki> {
  const ca = await createCertificateAuthority();
  const server = await ca.issueServerCertificate(['localhost', '127.0.0.1', '::1']);
  return { ca, server };
}
