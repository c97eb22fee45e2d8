import t from 'tap';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster, SECRETS, type TestCluster } from '../fixtures/cluster.js';
import { writeTestPlugin, type PluginBehaviour, type TestPlugin } from '../fixtures/exec-plugins.js';
import { pastRecheckInterval } from '../fixtures/credentials.js';
import { freePort, requireKubectl, requirePythonKubernetes, runCommand, runKubegate, startCommand, startKubegate, waitUntil, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Several clusters on one port: two test API servers with their own CAs, one reached with a client
// certificate, the other with an exec plugin's token, both behind one kubegate under /clusters/NAME/.
// Judged by what each API server received.
const kubectl = requireKubectl();
t.setTimeout(240_000);

/** The exec context's name has a `/` in it, as EKS ARNs do: its URL form is escaped. */
const EXEC = 'team/exec';
const EXEC_PATH = '/clusters/team%252Fexec';
const CERT_PATH = '/clusters/cert';

interface Extra {
  readonly name: string;
  readonly server: string;
  readonly ca: string;
  readonly user: string;
}

/** One kubeconfig with a context per cluster: `cert` (client certificate), `team/exec` (exec plugin), and any extras. */
function writeKubeconfig(dir: string, certCluster: TestCluster, execCluster: TestCluster, plugin: TestPlugin, extras: readonly Extra[] = []): string {
  const q = JSON.stringify;
  const cluster = (name: string, server: string, ca: string): string => `  - name: ${q(name)}\n    cluster:\n      server: ${q(server)}\n      certificate-authority: ${q(ca)}\n`;
  const context = (name: string, clusterName: string, user: string, namespace?: string): string =>
    `  - name: ${q(name)}\n    context:\n      cluster: ${q(clusterName)}\n      user: ${q(user)}\n${namespace ? `      namespace: ${q(namespace)}\n` : ''}`;
  const path = join(dir, 'contexts.yaml');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: cert
clusters:
${cluster('cert', certCluster.api.url, certCluster.caFile)}${cluster('exec', execCluster.api.url, execCluster.caFile)}${extras.map((extra) => cluster(extra.name, extra.server || certCluster.api.url, extra.ca)).join('')}users:
  - name: cert-user
    user:
      client-certificate: ${q(certCluster.admin.certFile)}
      client-key: ${q(certCluster.admin.keyFile)}
  - name: exec-user
    user:
      exec: { apiVersion: client.authentication.k8s.io/v1, command: ${q(plugin.command)}, interactiveMode: Never }
${extras.map((extra) => `  - name: ${q(`${extra.name}-user`)}\n    user:\n      ${extra.user}\n`).join('')}contexts:
${context('cert', 'cert', 'cert-user')}${context(EXEC, 'exec', 'exec-user', 'kube-system')}${extras.map((extra) => context(extra.name, extra.name, `${extra.name}-user`)).join('')}`,
  );
  return path;
}

interface Setup {
  readonly certCluster: TestCluster;
  readonly execCluster: TestCluster;
  readonly plugin: TestPlugin;
  readonly proxy: RunningProxy;
  readonly env: Record<string, string | undefined>;
  readonly podName: string;
  k(prefix: string, ...args: string[]): ReturnType<typeof runCommand>;
}

async function setup(t: Teardown, flags: readonly string[], options: { plugin?: PluginBehaviour; extras?: (dir: string) => Extra[]; backend?: string } = {}): Promise<Setup> {
  const certCluster = await startTestCluster(t, { logLineIntervalMs: 100, ...(options.backend ? { proxyBackends: { 'default/nginx': options.backend } } : {}) });
  const execCluster = await startTestCluster(t);
  const { podName } = seedDemoCluster(certCluster.api.store);
  seedDemoCluster(execCluster.api.store);
  const plugin = writeTestPlugin(t, options.plugin ?? { tokens: [SECRETS.userToken], expiresInSeconds: 3600, delayMs: 200 });
  const kubeconfig = writeKubeconfig(certCluster.dir, certCluster, execCluster, plugin, options.extras?.(certCluster.dir) ?? []);
  const env = { HOME: certCluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0', ...flags], { env });
  const k = (prefix: string, ...args: string[]) => runCommand(kubectl, ['-s', `http://127.0.0.1:${proxy.port}${prefix}`, ...args], { env, timeoutMs: 60_000 });
  return { certCluster, execCluster, plugin, proxy, env, podName, k };
}

const getJson = async (url: string): Promise<{ status: number; body: unknown }> => {
  const answer = await fetch(url);
  const text = await answer.text();
  return { status: answer.status, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : text };
};

t.test('two clusters, two CAs, two credential kinds, one port: kubectl get, get -w and logs -f through /clusters/NAME', async (t) => {
  const s = await setup(t, ['--contexts', `cert,${EXEC}`]);
  t.equal(s.plugin.runs(), 0, 'the exec plugin has not run before its context is used');

  const listing = await getJson(`${s.proxy.url}/clusters/`);
  t.same(listing, {
    status: 200,
    body: {
      kind: 'ClusterList',
      clusters: [
        { name: 'cert', path: '/clusters/cert/', server: s.certCluster.api.url, credentialsReady: true },
        { name: EXEC, path: `${EXEC_PATH}/`, server: s.execCluster.api.url, credentialsReady: false },
      ],
    },
  });

  const certPods = await s.k(CERT_PATH, 'get', 'pods');
  t.equal(certPods.status, 0, certPods.stderr);
  t.match(certPods.stdout, new RegExp(`${s.podName}\\s+1/1\\s+Running`));
  t.ok(s.certCluster.api.requests.all.length > 0 && s.certCluster.api.requests.all.every((r) => r.user?.name === 'alice-admin'), 'the cert cluster saw only the client certificate');
  t.equal(s.execCluster.api.requests.received, 0, 'nothing reached the other cluster');
  t.equal(s.plugin.runs(), 0, 'still no plugin run');

  const execPods = await s.k(EXEC_PATH, 'get', 'pods', '-n', 'default');
  t.equal(execPods.status, 0, execPods.stderr);
  t.match(execPods.stdout, /nginx-/);
  t.ok(s.execCluster.api.requests.all.every((r) => RequestLog.header(r, 'authorization') === `Bearer ${SECRETS.userToken}` && r.user?.name === 'alice'), 'the exec cluster saw only the plugin token');
  t.notOk(s.certCluster.api.requests.all.some((r) => RequestLog.header(r, 'authorization') !== undefined), 'the plugin token never went to the cert cluster');
  t.equal(s.plugin.runs(), 1, 'the plugin ran once, on first use');
  t.match(((await getJson(`${s.proxy.url}/clusters/`)).body as { clusters: unknown[] }).clusters[1], { credentialsReady: true });

  const watch = startCommand(t, kubectl, ['-s', `http://127.0.0.1:${s.proxy.port}${EXEC_PATH}`, 'get', 'configmaps', '-n', 'default', '-w'], { env: s.env });
  await waitUntil(() => s.execCluster.api.requests.all.some((r) => r.path === '/api/v1/namespaces/default/configmaps' && /watch=true/.test(r.query ?? '')), 'the watch of kubectl get -w to reach the exec cluster');
  const manifest = join(s.certCluster.dir, 'cm.yaml');
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seen-by-watch\n  namespace: default\n');
  const applied = await s.k(EXEC_PATH, 'apply', '-f', manifest);
  t.equal(applied.status, 0, applied.stderr);
  await waitUntil(() => watch.output().includes('seen-by-watch'), 'the watch event in kubectl get -w');
  watch.stop();
  t.ok(s.execCluster.api.requests.all.some((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/default/configmaps'), 'the create reached the exec cluster');
  t.notOk(s.certCluster.api.requests.all.some((r) => r.method === 'POST'), 'and not the cert cluster');

  const logs = startCommand(t, kubectl, ['-s', `http://127.0.0.1:${s.proxy.port}${CERT_PATH}`, 'logs', '-f', s.podName], { env: s.env });
  await waitUntil(() => /log line 3/.test(logs.output()), 'followed log lines');
  logs.stop();

  const curl = await runCommand('curl', ['-sS', `${s.proxy.url}${EXEC_PATH}/api/v1/namespaces/default/pods`]);
  t.match(JSON.parse(curl.stdout) as unknown, { kind: 'PodList' }, 'curl with the escaped name');
  t.equal(s.plugin.runs(), 1, 'one plugin run served every exec-context request');
});

// The official Python client with host=http://127.0.0.1:PORT/clusters/NAME, as the issue asks (it joins
// the resource path onto the host's path, as Rancher users rely on).
const PYTHON_LIST_PODS = `
import sys
from kubernetes import client
configuration = client.Configuration()
configuration.host = sys.argv[1]
api = client.CoreV1Api(client.ApiClient(configuration))
print(" ".join(sorted(pod.metadata.name for pod in api.list_namespaced_pod("default").items)))
try:
    api.read_namespaced_secret("nope", "default")
except client.exceptions.ApiException as error:
    print("status", error.status)
`;

t.test('the Python client with host=.../clusters/NAME reaches that context, and reads its errors', async (t) => {
  const python = requirePythonKubernetes();
  const s = await setup(t, ['--contexts', `cert,${EXEC}`]);
  for (const [prefix, cluster, other] of [[CERT_PATH, s.certCluster, s.execCluster], [EXEC_PATH, s.execCluster, s.certCluster]] as const) {
    const before = other.api.requests.received;
    const result = await runCommand(python, ['-c', PYTHON_LIST_PODS, `http://127.0.0.1:${s.proxy.port}${prefix}`], { env: s.env, timeoutMs: 60_000 });
    t.equal(result.status, 0, `python exits 0 for ${prefix}\n${result.stderr}`);
    const [pods, status] = result.stdout.trim().split('\n');
    t.match(pods, /^nginx-\S+/, `the pods of ${prefix}'s cluster`);
    t.equal(status, 'status 404', 'a missing Secret is the API server\'s 404, as the client reads it');
    t.ok(cluster.api.requests.all.some((r) => r.path === '/api/v1/namespaces/default/pods'), `${prefix}'s API server received the list, without the prefix`);
    t.equal(other.api.requests.received, before, 'nothing reached the other cluster');
  }
});

t.test('the printed kubeconfig: kubectl --kubeconfig FILE --context NAME works unchanged, and holds no credential', async (t) => {
  const file = join(t.testdir({}), 'through-kubegate.yaml');
  const s = await setup(t, ['--all-contexts', `--print-kubeconfig=${file}`]);
  const text = readFileSync(file, 'utf8');
  t.match(text, `server: "http://127.0.0.1:${s.proxy.port}${EXEC_PATH}"`);
  t.match(text, 'namespace: "kube-system"', "the exec context's namespace is kept");
  for (const secret of [SECRETS.userToken, 'BEGIN', s.plugin.command, s.certCluster.admin.keyFile]) t.notMatch(text, secret, 'no credential or credential source in the file');

  const viaFile = (...args: string[]) => runCommand(kubectl, ['--kubeconfig', file, ...args], { env: { HOME: s.certCluster.dir, KUBECONFIG: undefined } });
  const exec = await viaFile('--context', EXEC, 'get', 'pods', '-n', 'default');
  t.equal(exec.status, 0, exec.stderr);
  t.match(exec.stdout, /nginx-/);
  const last = s.execCluster.api.requests.last();
  t.equal(last?.path, '/api/v1/namespaces/default/pods', 'the escaped name reached its cluster, the path intact');
  t.equal(last?.user?.name, 'alice');
  const cert = await viaFile('--context', 'cert', 'get', 'configmaps');
  t.equal(cert.status, 0, cert.stderr);
  t.equal(s.certCluster.api.requests.last()?.user?.name, 'alice-admin');
  const sa = await viaFile('--context', EXEC, 'get', 'serviceaccounts');
  t.equal(sa.status, 0, sa.stderr);
  t.equal(s.execCluster.api.requests.last()?.path, '/api/v1/namespaces/kube-system/serviceaccounts', "kubectl used the context's namespace");
});

/** A backend for the pod's port 80 (port-forward). */
async function startBackend(t: Teardown): Promise<string> {
  const server: Server = createServer((_request, response) => response.end('hello from the cert cluster pod\n'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test("exec and port-forward through /clusters/NAME (with --reject-paths='^$'); refused by default", async (t) => {
  const backend = await startBackend(t);
  const s = await setup(t, ['--contexts', `cert,${EXEC}`, '--reject-paths=^$'], { backend });
  const echo = await s.k(CERT_PATH, 'exec', s.podName, '--', 'echo', 'hello');
  t.equal(echo.status, 0, echo.stderr);
  t.equal(echo.stdout, 'hello\n');
  const upstream = s.certCluster.api.requests.all.find((r) => r.path.endsWith('/exec'));
  t.equal(upstream?.user?.name, 'alice-admin', 'the tunnel carried the cert context client certificate');
  t.equal(s.execCluster.api.requests.received, 0);

  const forward = startCommand(t, kubectl, ['-s', `http://127.0.0.1:${s.proxy.port}${CERT_PATH}`, 'port-forward', `pod/${s.podName}`, ':80'], { env: s.env });
  await waitUntil(() => /Forwarding from 127\.0\.0\.1:\d+/.test(forward.output()), 'kubectl port-forward to listen', 30_000);
  const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(forward.output())?.[1]);
  t.equal(await (await fetch(`http://127.0.0.1:${localPort}/`)).text(), 'hello from the cert cluster pod\n');
  forward.stop();

  const defaults = await startKubegate(t, ['--kubeconfig', join(s.certCluster.dir, 'contexts.yaml'), '--port=0', '--contexts', `cert,${EXEC}`], { env: s.env });
  const before = s.certCluster.api.requests.received;
  const refused = await runCommand(kubectl, ['-s', `http://127.0.0.1:${defaults.port}${CERT_PATH}`, 'exec', s.podName, '--', 'id'], { env: s.env });
  t.not(refused.status, 0);
  t.match(refused.stderr, /Forbidden.*--reject-paths/s);
  t.notOk(s.certCluster.api.requests.all.slice(before).some((r) => r.path.endsWith('/exec')), 'no exec reached the API server');
});

t.test('a broken context never breaks another: server down, failing plugin, invalid entry; 0 errors for the good one', async (t) => {
  const downPort = await freePort();
  const adminPort = await freePort();
  const s = await setup(t, ['--all-contexts', `--admin-address=127.0.0.1:${adminPort}`], {
    plugin: { exitCode: 3, stderr: 'error: not logged in\n' },
    extras: (dir) => [
      { name: 'down', server: `https://127.0.0.1:${downPort}`, ca: join(dir, 'ca.crt'), user: `token: "${SECRETS.downClusterToken}"` },
      { name: 'invalid', server: 'https://127.0.0.1:1', ca: join(dir, 'no-such-ca.crt'), user: `token: "${SECRETS.invalidClusterToken}"` },
    ],
  });
  t.match(s.proxy.stderr(), /context \\"invalid\\" cannot be served/, 'the invalid entry is reported at start');
  const N = 60;
  const targets = [CERT_PATH, '/clusters/down', EXEC_PATH, '/clusters/invalid'];
  const answers = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const prefix = targets[i % targets.length] as string;
      return { prefix, ...(await getJson(`${s.proxy.url}${prefix}/api/v1/namespaces/default/configmaps`)) };
    }),
  );
  const good = answers.filter((answer) => answer.prefix === CERT_PATH);
  t.equal(good.length, N / 4);
  t.same(good.filter((answer) => answer.status !== 200), [], '0 errors for the good context');
  const byPrefix = (prefix: string) => answers.filter((answer) => answer.prefix === prefix).map((answer) => [answer.status, (answer.body as { message?: string }).message]);
  for (const [status, message] of byPrefix('/clusters/down')) {
    t.equal(status, 502);
    t.match(message, /^context "down": cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: connection refused/);
  }
  for (const [status, message] of byPrefix(EXEC_PATH)) {
    t.equal(status, 500);
    t.match(message, /^context "team\/exec": .*exited with code 3/);
  }
  for (const [status, message] of byPrefix('/clusters/invalid')) {
    t.equal(status, 500);
    t.match(message, /^context "invalid" cannot be served: .*no-such-ca\.crt/);
  }
  t.equal(s.execCluster.api.requests.received, 0, 'nothing went to the exec cluster without a credential');
  t.notMatch(JSON.stringify(answers), new RegExp(`${SECRETS.downClusterToken}|${SECRETS.invalidClusterToken}|not logged in`), 'no secret and no plugin stderr in any answer');
  const listing = (await getJson(`${s.proxy.url}/clusters/`)).body as { clusters: { name: string; credentialsReady: boolean; error?: string }[] };
  t.same(listing.clusters.map((c) => [c.name, c.credentialsReady]), [['cert', true], [EXEC, false], ['down', true], ['invalid', false]]);
  t.match(listing.clusters[3]?.error, /no-such-ca\.crt/);

  // The good context first (its check waits 3 s at most for the API server: on a loaded machine, ask again).
  let certReady = 0;
  for (let attempt = 0; attempt < 5 && certReady !== 200; attempt++) certReady = (await fetch(`http://127.0.0.1:${adminPort}/readyz/cert`)).status;
  t.equal(certReady, 200, 'the good context is ready on its own');
  const readyz = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
  const text = await readyz.text();
  t.equal(readyz.status, 503, 'not ready overall while a context is broken');
  t.match(text, /- context "down": the API server at https:\/\/127\.0\.0\.1:\d+ did not answer/);
  t.match(text, /- context "team\/exec": credentials are not usable: .*exited with code 3/);
  t.match(text, /- context "invalid": .*no-such-ca\.crt/);
  t.match(text, /context "cert": ready/);
  t.equal((await fetch(`http://127.0.0.1:${adminPort}/readyz/down`)).status, 503);
});

t.test('an unserved context is a 404 Status naming the served ones; names match exactly', async (t) => {
  const s = await setup(t, ['--contexts', `cert,${EXEC}`]);
  for (const prefix of ['/clusters/nope', '/clusters/Cert', '/clusters/c%65rt', '/clusters/team%2Fexec', '/clusters/team/exec']) {
    const answer = await getJson(`${s.proxy.url}${prefix}/api/v1/pods`);
    t.equal(answer.status, 404, prefix);
    t.match(answer.body, { kind: 'Status', reason: 'NotFound', message: /served: "cert" \(\/clusters\/cert\/\), "team\/exec" \(\/clusters\/team%252Fexec\/\)/ }, prefix);
  }
  const top = await s.k('', 'get', 'pods');
  t.not(top.status, 0, 'nothing is served at / with --contexts');
  t.equal(s.certCluster.api.requests.received + s.execCluster.api.requests.received, 0, 'no request reached either cluster');
  t.equal(s.plugin.runs(), 0);
});

t.test('a request under /clusters/a/clusters/b/ goes to a (as a path a has), never to b', async (t) => {
  const s = await setup(t, ['--contexts', `cert,${EXEC}`]);
  const answer = await fetch(`${s.proxy.url}${CERT_PATH}${EXEC_PATH}/api/v1/namespaces/default/pods`);
  await answer.arrayBuffer();
  t.equal(s.execCluster.api.requests.received, 0, 'b received nothing');
  t.equal(s.plugin.runs(), 0, "b's plugin never ran");
  t.equal(s.certCluster.api.requests.last()?.path, `${EXEC_PATH}/api/v1/namespaces/default/pods`, 'a received the rest of the path as it is');
});

t.test('single flight per context: 30 concurrent first requests, one plugin run', async (t) => {
  const s = await setup(t, ['--contexts', `cert,${EXEC}`], { plugin: { tokens: [SECRETS.userToken], expiresInSeconds: 3600, delayMs: 400 } });
  const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${s.proxy.url}${EXEC_PATH}/api/v1/namespaces/default/pods`).then((answer) => answer.status)));
  t.same([...new Set(answers)], [200]);
  t.equal(s.plugin.runs(), 1);
});

t.test('--admin-address: /readyz per context and overall; the metrics name the context', async (t) => {
  const adminPort = await freePort();
  const s = await setup(t, ['--contexts', `cert,${EXEC}`, `--admin-address=127.0.0.1:${adminPort}`]);
  const admin = `http://127.0.0.1:${adminPort}`;
  const overall = await fetch(`${admin}/readyz`);
  const text = await overall.text();
  t.equal(overall.status, 200, text);
  t.match(text, /context "cert": ready/);
  t.match(text, /context "team\/exec": ready/);
  t.equal(s.plugin.runs(), 0, 'a probe does not start an exec plugin before first use');
  t.equal((await fetch(`${admin}/readyz/cert`)).status, 200);
  t.equal((await fetch(`${admin}/readyz/team%252Fexec`)).status, 200);
  t.equal((await fetch(`${admin}/readyz/nope`)).status, 404);
  await (await fetch(`${s.proxy.url}${CERT_PATH}/api/v1/namespaces/default/pods`)).arrayBuffer();
  await (await fetch(`${s.proxy.url}${EXEC_PATH}/api/v1/namespaces/default/pods`)).arrayBuffer();
  t.equal((await fetch(`${s.proxy.url}${CERT_PATH}/api/v1/namespaces/default/pods/p/exec`, { method: 'POST' })).status, 403);
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  t.match(metrics, /kubegate_requests_total\{method="GET",resource="pods",code="200",context="cert"\} 1/);
  t.match(metrics, /kubegate_requests_total\{method="GET",resource="pods",code="200",context="team\/exec"\} 1/);
  t.match(metrics, /kubegate_credential_refreshes_total\{source="exec",outcome="success",context="team\/exec"\} 1/);
  t.match(metrics, /kubegate_filter_rejections_total\{flag="--reject-paths",context="cert"\} 1/);
});

t.test('per context: token rotation, --api-prefix, and log lines naming the context', async (t) => {
  const s = await setup(t, ['--all-contexts', '--api-prefix=/k8s/', '-v=6'], {
    extras: (dir) => [{ name: 'rotating', server: '', ca: join(dir, 'ca.crt'), user: `tokenFile: ${JSON.stringify(join(dir, 'client-token'))}` }],
  });
  const rotating = `${s.proxy.url}/clusters/rotating/k8s/api/v1/namespaces/default/pods`;
  t.equal((await fetch(rotating)).status, 200);
  t.equal(RequestLog.header(s.certCluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.userToken}`);
  writeFileSync(s.certCluster.clientTokenFile, `${SECRETS.rotatedToken}\n`);
  await pastRecheckInterval();
  t.equal((await fetch(rotating)).status, 200);
  t.equal(RequestLog.header(s.certCluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.rotatedToken}`, "the rotated token, in that context's requests");

  const pods = await s.k(`${CERT_PATH}/k8s`, 'get', 'pods');
  t.equal(pods.status, 0, pods.stderr);
  t.equal(s.certCluster.api.requests.last()?.user?.name, 'alice-admin', 'the cert context, under its --api-prefix');
  t.equal((await fetch(`${s.proxy.url}${CERT_PATH}/api/v1/pods`)).status, 404, 'outside the API prefix: Go\'s 404, as without --contexts');
  const lines = s.proxy.stderr().split('\n').filter((line) => line.includes('"path":"/api/v1/namespaces/default/pods"') && line.includes('"status":200'));
  t.ok(lines.some((line) => line.includes('"context":"rotating"')), 'the access line names its context');
  t.notMatch(s.proxy.stderr(), SECRETS.rotatedToken, 'no token in the log');
});

t.test('--demo --contexts=a,b: two demo clusters, each with its own server', async (t) => {
  const proxy = await startKubegate(t, ['--demo', '--contexts=one,two', '--port=0', '--ready-json']);
  await waitUntil(() => proxy.stdout().includes('"contexts"'), 'the --ready-json line');
  t.match(JSON.parse(proxy.stdout().split('\n')[1] ?? '') as unknown, { address: `127.0.0.1:${proxy.port}`, port: proxy.port, contexts: ['one', 'two'] }, '--ready-json names the served contexts');
  t.match(proxy.stdout(), /serving 2 contexts:\n {2}"one": http:\/\/127\.0\.0\.1:\d+\/clusters\/one\/\n {2}"two": /);
  const listing = (await getJson(`${proxy.url}/clusters/`)).body as { clusters: { name: string; server: string }[] };
  t.same(listing.clusters.map((c) => c.name), ['one', 'two']);
  t.not(listing.clusters[0]?.server, listing.clusters[1]?.server, 'two API servers');
  for (const name of ['one', 'two']) {
    const pods = await runCommand(kubectl, ['-s', `${proxy.url}/clusters/${name}`, 'get', 'pods'], { env: { KUBECONFIG: '/dev/null' } });
    t.match(pods.stdout, /nginx-7c5ddbdf54-x8k2p\s+1\/1\s+Running/, name);
  }
});

t.test('start-up: a context the kubeconfig lacks, or --server with --contexts, stops kubegate with a clear error', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('token');
  const missing = runKubegate(['--kubeconfig', kubeconfig, '--contexts=test,tset', '--port=0']);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /^error: context "tset" does not exist \(in .*\); it defines: "test"\n$/);
  const server = runKubegate(['--kubeconfig', kubeconfig, '--contexts=test', '--server=https://x', '--port=0']);
  t.equal(server.status, 1);
  t.match(server.stderr, /--server cannot be combined with --contexts/);
  const unwritable = runKubegate(['--kubeconfig', kubeconfig, '--contexts=test', '--port=0', `--print-kubeconfig=${join(cluster.dir, 'no-such-dir', 'k.yaml')}`]);
  t.equal(unwritable.status, 1);
  t.match(unwritable.stderr, /^error: cannot write --print-kubeconfig .*no-such-dir\/k\.yaml: ENOENT/);
  t.notMatch(unwritable.stdout, /Starting to serve/, 'nothing announced');
});
