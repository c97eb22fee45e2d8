import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findResourceType } from '../../src/demo-cluster/resources.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster } from '../fixtures/cluster.js';
import { requireKubectl, runCommand, startCommand, startKubegate, waitUntil } from '../fixtures/processes.js';

// Real kubectl as the client, talking plain HTTP to kubegate, which talks TLS + client cert upstream.
const kubectl = requireKubectl();

t.test('kubectl get, apply, get -w, logs -f and delete work through kubegate', async (t) => {
  const cluster = await startTestCluster(t, { logLineIntervalMs: 100 });
  const { podName } = seedDemoCluster(cluster.api.store);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env });
  const k = (...args: string[]) => runCommand(kubectl, ['-s', `http://127.0.0.1:${proxy.port}`, ...args], { env });

  const pods = await k('get', 'pods');
  t.equal(pods.status, 0, pods.stderr);
  t.match(pods.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
  t.match(pods.stdout, new RegExp(`${podName}\\s+1/1\\s+Running\\s+0`));
  t.equal(cluster.api.requests.last()?.user?.name, 'alice-admin', 'kubegate authenticated as the kubeconfig user');

  const manifest = join(cluster.dir, 'cm.yaml');
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: through-kubegate\n  namespace: default\ndata:\n  greeting: hi\n');
  const created = await k('apply', '-f', manifest);
  t.equal(created.status, 0, created.stderr);
  t.match(created.stdout, 'configmap/through-kubegate created');
  const unchanged = await k('apply', '-f', manifest);
  t.match(unchanged.stdout, 'configmap/through-kubegate unchanged');
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: through-kubegate\n  namespace: default\ndata:\n  greeting: hello\n');
  const configured = await k('apply', '-f', manifest);
  t.match(configured.stdout, 'configmap/through-kubegate configured', configured.stderr);
  const stored = cluster.api.store.get(findResourceType('', 'v1', 'configmaps')!, 'default', 'through-kubegate');
  t.same(stored?.data, { greeting: 'hello' }, 'the API server holds the applied data');

  const watch = startCommand(t, kubectl, ['-s', `http://127.0.0.1:${proxy.port}`, 'get', 'configmaps', '-w'], { env });
  await waitUntil(() => watch.output().includes('through-kubegate'), 'the initial list in kubectl get -w');
  writeFileSync(join(cluster.dir, 'cm2.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seen-by-watch\n  namespace: default\n');
  t.equal((await k('apply', '-f', join(cluster.dir, 'cm2.yaml'))).status, 0);
  await waitUntil(() => watch.output().includes('seen-by-watch'), 'the watch event in kubectl get -w');
  watch.stop();

  const logs = startCommand(t, kubectl, ['-s', `http://127.0.0.1:${proxy.port}`, 'logs', '-f', podName], { env });
  await waitUntil(() => /log line 6/.test(logs.output()), 'followed log lines');
  t.match(logs.output(), /log line 1\n.*log line 2\n.*log line 3\n.*log line 4\n/);
  logs.stop();

  const deleted = await k('delete', 'configmap', 'through-kubegate');
  t.equal(deleted.status, 0, deleted.stderr);
  t.match(deleted.stdout, 'configmap "through-kubegate" deleted');
  const gone = await k('get', 'configmap', 'through-kubegate');
  t.not(gone.status, 0);
  t.match(gone.stderr, 'configmaps "through-kubegate" not found');
});

t.test('kubectl sees the filter reason when kubegate rejects a request', async (t) => {
  const cluster = await startTestCluster(t);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--reject-methods=DELETE'], { env });
  const result = await runCommand(kubectl, ['-s', `http://127.0.0.1:${proxy.port}`, 'delete', 'namespace', 'default'], { env });
  t.not(result.status, 0);
  t.match(result.stderr, /--reject-methods/);
});
