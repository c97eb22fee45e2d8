import t from 'tap';
import { currentTlsOptions } from '../../src/upstream/dial.js';
import type { Credentials } from '../../src/auth/credentials.js';
import { noCredentials } from '../fixtures/credentials.js';
import { restConfig } from '../fixtures/kubeconfig/env.js';

const credentials = (ca?: Buffer): Credentials => ({
  ...noCredentials,
  clientCertificate: () => ({ cert: Buffer.from('C'), key: Buffer.from('K') }),
  certificateAuthority: () => ca,
});

t.test('TLS options: the current CA and certificate, SNI, verification on unless insecure', async (t) => {
  const ca = Buffer.from('CA');
  const secure = currentTlsOptions(restConfig('https://h', { kind: 'none' }, { serverName: 'api.internal' }), credentials(ca));
  t.same(secure, { ca, cert: Buffer.from('C'), key: Buffer.from('K'), servername: 'api.internal', rejectUnauthorized: true });
  const insecure = currentTlsOptions(restConfig('https://h', { kind: 'none' }, { insecureSkipTlsVerify: true }), credentials(ca));
  t.equal(insecure.ca, undefined, 'no CA is passed when verification is off');
  t.equal(insecure.rejectUnauthorized, false);
});
