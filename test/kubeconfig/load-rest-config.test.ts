import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRestConfig } from '../../src/kubeconfig/load-rest-config.js';
import { isKubegateError } from '../../src/errors.js';
import { environmentIn } from '../fixtures/kubeconfig/env.js';

const SERVICE = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

function emptyMachine(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-lrc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'cwd'));
  return dir;
}

t.test('no kubeconfig and not in a pod: says where it looked and what to do (deliberate difference 5)', async (t) => {
  const dir = emptyMachine(t);
  const error: unknown = await loadRestConfig({}, environmentIn(dir), { appendServerPath: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isKubegateError(error) && error.code === 'KG_ERR_NO_KUBECONFIG', 'a typed error');
  const message = (error as Error).message;
  t.match(message, join(dir, 'home', '.kube', 'config'));
  t.match(message, 'KUBERNETES_SERVICE_HOST');
  t.match(message, '--kubeconfig FILE');
});

t.test('no kubeconfig in a pod: the service account', async (t) => {
  const dir = emptyMachine(t);
  mkdirSync(join(dir, 'sa'));
  writeFileSync(join(dir, 'sa', 'token'), 'sa-token');
  const config = await loadRestConfig({}, environmentIn(dir, SERVICE), { appendServerPath: false });
  t.equal(config.inCluster, true);
  t.equal(config.server, 'https://10.96.0.1:443');
});

t.test('a kubeconfig wins over the pod service account', async (t) => {
  const dir = emptyMachine(t);
  mkdirSync(join(dir, 'sa'));
  writeFileSync(join(dir, 'sa', 'token'), 'sa-token');
  mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
  writeFileSync(join(dir, 'home', '.kube', 'config'), 'current-context: c\ncontexts: [{name: c, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:8080"}}]\n');
  const config = await loadRestConfig({}, environmentIn(dir, SERVICE), { appendServerPath: false });
  t.equal(config.inCluster, false);
  t.equal(config.server, 'http://127.0.0.1:8080');
});

t.test('--server alone needs no kubeconfig', async (t) => {
  const dir = emptyMachine(t);
  const config = await loadRestConfig({ server: 'https://127.0.0.1:6443', token: 't', insecureSkipTlsVerify: true }, environmentIn(dir), { appendServerPath: false });
  t.same(config.auth, { kind: 'token', token: 't' });
  t.same(config.names, { context: '', cluster: '', user: '' });
});
