import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterPossible, inClusterRestConfig } from '../../src/kubeconfig/in-cluster.js';
import { environmentIn, fixturePki } from '../fixtures/kubeconfig/env.js';
import type { Teardown } from '../fixtures/teardown.js';

const SERVICE = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

async function podDir(t: Teardown, ca = true): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-sa-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'sa'));
  writeFileSync(join(dir, 'sa', 'token'), 'sa-token');
  if (ca) writeFileSync(join(dir, 'sa', 'ca.crt'), (await fixturePki()).caPem);
  return dir;
}

t.test('possible only with both variables and a token file', async (t) => {
  const dir = await podDir(t);
  t.ok(inClusterPossible(environmentIn(dir, SERVICE)));
  t.notOk(inClusterPossible(environmentIn(dir, { KUBERNETES_SERVICE_HOST: '10.96.0.1' })));
  t.notOk(inClusterPossible(environmentIn(join(dir, 'nowhere'), SERVICE)));
});

t.test('targets the service address with the mounted CA and token file', async (t) => {
  const dir = await podDir(t);
  const config = inClusterRestConfig(environmentIn(dir, SERVICE), {});
  t.equal(config.server, 'https://10.96.0.1:443');
  t.same(config.tls, { ca: { kind: 'file', path: join(dir, 'sa', 'ca.crt') }, insecureSkipTlsVerify: false });
  t.same(config.auth, { kind: 'token-file', path: join(dir, 'sa', 'token') });
  t.equal(config.inCluster, true);
  t.same(config.warnings, []);
});

t.test('IPv6 service hosts are bracketed', async (t) => {
  const dir = await podDir(t);
  t.equal(inClusterRestConfig(environmentIn(dir, { ...SERVICE, KUBERNETES_SERVICE_HOST: 'fd00::1' }), {}).server, 'https://[fd00::1]:443');
});

t.test('--server and --token override; a missing CA falls back to the system roots with a warning', async (t) => {
  const dir = await podDir(t, false);
  const config = inClusterRestConfig(environmentIn(dir, SERVICE), { server: 'https://api.example:6443', token: 'flag' });
  t.equal(config.server, 'https://api.example:6443');
  t.same(config.auth, { kind: 'token', token: 'flag' });
  t.equal(config.tls.ca, undefined);
  t.match(config.warnings, [/Expected to load root CA config from .*ca\.crt/]);
});

t.test('--as, --as-group and --as-uid apply in-cluster (kubectl since kubernetes#122532)', async (t) => {
  const dir = await podDir(t);
  const config = inClusterRestConfig(environmentIn(dir, SERVICE), { as: 'alice', asGroups: ['devs', 'ops'], asUid: '42' });
  t.same(config.impersonate, { user: 'alice', uid: '42', groups: ['devs', 'ops'], extra: {} });
  t.same(config.auth, { kind: 'token-file', path: join(dir, 'sa', 'token') }, 'still authenticated as the service account');
  t.equal(inClusterRestConfig(environmentIn(dir, SERVICE), {}).impersonate, undefined);
  t.throws(() => inClusterRestConfig(environmentIn(dir, SERVICE), { asGroups: ['devs'] }), {
    code: 'KG_ERR_KUBECONFIG',
    message: 'requesting uid, groups or user-extra for the in-cluster service account without impersonating a user',
  });
});
