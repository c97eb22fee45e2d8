import t from 'tap';
import { currentTlsOptions, resolveUpstreamTarget } from '../../src/upstream/pool.js';
import type { Credentials } from '../../src/auth/credentials.js';
import { noCredentials } from '../fixtures/credentials.js';
import { restConfig } from '../fixtures/kubeconfig/env.js';

const credentials = (ca?: Buffer): Credentials => ({
  ...noCredentials,
  clientCertificate: () => ({ cert: Buffer.from('C'), key: Buffer.from('K') }),
  certificateAuthority: () => ca,
});

t.test('the upstream target: origin, Host as written, server path only with --append-server-path', async (t) => {
  const config = restConfig('https://api.example:6443/k8s/clusters/c-1/', { kind: 'none' });
  t.same(resolveUpstreamTarget(config, false), { origin: 'https://api.example:6443', host: 'api.example:6443', basePath: '', tls: true });
  t.equal(resolveUpstreamTarget(config, true).basePath, '/k8s/clusters/c-1');
  t.same(resolveUpstreamTarget(restConfig('http://[::1]:8080', { kind: 'none' }), false), { origin: 'http://[::1]:8080', host: '[::1]:8080', basePath: '', tls: false });
});

t.test('TLS options: the current CA and certificate, SNI, verification on unless insecure', async (t) => {
  const ca = Buffer.from('CA');
  const secure = currentTlsOptions(restConfig('https://h', { kind: 'none' }, { serverName: 'api.internal' }), credentials(ca));
  t.same(secure, { ca, cert: Buffer.from('C'), key: Buffer.from('K'), servername: 'api.internal', rejectUnauthorized: true });
  const insecure = currentTlsOptions(restConfig('https://h', { kind: 'none' }, { insecureSkipTlsVerify: true }), credentials(ca));
  t.equal(insecure.ca, undefined, 'no CA is passed when verification is off');
  t.equal(insecure.rejectUnauthorized, false);
});
