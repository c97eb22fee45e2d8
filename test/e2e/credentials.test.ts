import t from 'tap';
import { renameSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { SECRETS, startTestCluster } from '../fixtures/cluster.js';
import { pastRecheckInterval } from '../fixtures/credentials.js';
import { startKubegate, type RunningProxy } from '../fixtures/processes.js';

const env = (dir: string): Record<string, string | undefined> => ({ HOME: dir, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined });

async function get(proxy: RunningProxy, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${proxy.url}${path}`, { headers });
  return { status: response.status, body: await response.text() };
}

t.test('client certificate: the API server sees the kubeconfig user (CN) and groups (O)', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env: env(cluster.dir) });
  const answer = await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(answer.status, 200);
  const seen = cluster.api.requests.last();
  t.same(seen?.clientCertificate, { commonName: 'alice-admin', organizations: ['system:masters', 'devs'] });
  t.equal(seen?.user?.name, 'alice-admin');
  t.equal(RequestLog.header(seen!, 'authorization'), undefined, 'no Authorization header is invented');
});

t.test('bearer token: sent as Authorization: Bearer', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env: env(cluster.dir) });
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200);
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.userToken}`);
  t.equal(cluster.api.requests.last()?.user?.name, 'alice');
});

t.test('basic auth: sent as Authorization: Basic', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('basic'), '--port=0'], { env: env(cluster.dir) });
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200);
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Basic ${Buffer.from(`bob:${SECRETS.basicPassword}`).toString('base64')}`);
  t.equal(cluster.api.requests.last()?.user?.name, 'bob');
});

t.test('tokenFile: a rotated file is used by the first request after the recheck interval (100 ms)', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token-file'), '--port=0'], { env: env(cluster.dir) });
  await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.userToken}`);
  writeFileSync(cluster.clientTokenFile, `${SECRETS.rotatedToken}\n`);
  await pastRecheckInterval();
  await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.rotatedToken}`);
});

t.test('tokenFile rotated the way the kubelet does it (..data symlink swap)', async (t) => {
  const cluster = await startTestCluster(t);
  const dir = join(cluster.dir, 'projected');
  mkdirSync(join(dir, '..2026_01_01_a'), { recursive: true });
  writeFileSync(join(dir, '..2026_01_01_a', 'token'), SECRETS.userToken);
  symlinkSync('..2026_01_01_a', join(dir, '..data'));
  symlinkSync('..data/token', join(dir, 'token'));
  const kubeconfig = cluster.kubeconfig('none', { name: 'projected', extraUser: { tokenFile: join(dir, 'token') } });
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: env(cluster.dir) });
  await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.userToken}`);
  mkdirSync(join(dir, '..2026_01_01_b'));
  writeFileSync(join(dir, '..2026_01_01_b', 'token'), SECRETS.rotatedToken);
  symlinkSync('..2026_01_01_b', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  await pastRecheckInterval();
  const answer = await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(answer.status, 200);
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.rotatedToken}`);
});

t.test('--token wins over a kubeconfig tokenFile (deliberate difference 4)', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token-file'), '--token', SECRETS.flagToken, '--port=0'], { env: env(cluster.dir) });
  await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.flagToken}`);
  t.equal(cluster.api.requests.last()?.user?.name, 'carol');
});

t.test("a client's own Authorization header wins over the configured credential", async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env: env(cluster.dir) });
  await get(proxy, '/api/v1/namespaces/default/pods', { authorization: `Bearer ${SECRETS.flagToken}` });
  t.equal(cluster.api.requests.last()?.user?.name, 'carol');
});

t.test('impersonation flags reach the API server and take effect', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(
    t,
    ['--kubeconfig', cluster.kubeconfig('cert'), '--as', 'dave', '--as-group', 'g1', '--as-group=g2', '--as-uid', 'u-9', '--port=0'],
    { env: env(cluster.dir) },
  );
  await get(proxy, '/api/v1/namespaces/default/pods');
  const seen = cluster.api.requests.last()!;
  t.equal(RequestLog.header(seen, 'impersonate-user'), 'dave');
  t.equal(RequestLog.header(seen, 'impersonate-group'), 'g1, g2');
  t.equal(RequestLog.header(seen, 'impersonate-uid'), 'u-9');
  t.equal(seen.user?.name, 'dave');
  t.equal(seen.impersonatedBy?.name, 'alice-admin');
});

t.test('--username/--password flags over a kubeconfig with no user credentials', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('none'), '--username', 'bob', '--password', SECRETS.basicPassword, '--port=0'], { env: env(cluster.dir) });
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200);
  t.equal(cluster.api.requests.last()?.user?.name, 'bob');
});

t.test('no credentials: proxied anonymously with a warning, and the API server says Forbidden', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['-s', cluster.api.url, '--certificate-authority', cluster.caFile, '--port=0'], { env: env(cluster.dir) });
  const answer = await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(answer.status, 403);
  t.match(answer.body, /pods is forbidden: User \\"system:anonymous\\" cannot list resource \\"pods\\"/);
  t.match(proxy.stderr(), /anonymously/);
});

t.test('an untrusted server certificate gives 502 with a TLS Status, and kubegate keeps serving', async (t) => {
  const cluster = await startTestCluster(t);
  const other = await startTestCluster(t);
  // The kubeconfig trusts the other cluster's CA, so this server's certificate is not trusted.
  const kubeconfig = cluster.kubeconfig('token', { name: 'wrong-ca' });
  const { readFileSync, writeFileSync: write } = await import('node:fs');
  write(kubeconfig, readFileSync(kubeconfig, 'utf8').replace(cluster.caFile, other.caFile));
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: env(cluster.dir) });
  const answer = await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(answer.status, 502);
  const status = JSON.parse(answer.body) as { kind: string; message: string };
  t.equal(status.kind, 'Status');
  t.match(status.message, /TLS/);
  t.match(status.message, cluster.api.url);
  t.notMatch(answer.body, SECRETS.userToken, 'the token is not echoed');
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 502, 'still answering');
});
