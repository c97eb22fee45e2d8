import t from 'tap';
import { createPki } from '../../src/demo-cluster/pki.js';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { startTestCluster, SECRETS, type TestCluster } from '../fixtures/cluster.js';
import { writeTestPlugin, type PluginBehaviour, type TestPlugin } from '../fixtures/exec-plugins.js';
import { startKubegate, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Exec credential plugins through kubegate: real child processes, the test API server checking the tokens.

interface Setup {
  readonly cluster: TestCluster;
  readonly plugin: TestPlugin;
  readonly proxy: RunningProxy;
}

async function setup(t: Teardown, behaviour: PluginBehaviour, flags: readonly string[] = [], installHint = '', given?: TestCluster): Promise<Setup> {
  const cluster = given ?? (await startTestCluster(t));
  const plugin = writeTestPlugin(t, behaviour);
  const kubeconfig = cluster.kubeconfig('none', {
    name: 'exec',
    extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode: 'Never', installHint, provideClusterInfo: true } },
  });
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0', ...flags], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  return { cluster, plugin, proxy };
}

const list = async (proxy: RunningProxy): Promise<{ status: number; body: string }> => {
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  return { status: answer.status, body: await answer.text() };
};

const authorizationSeen = (cluster: TestCluster): string | undefined => {
  const last = cluster.api.requests.last();
  return last && RequestLog.header(last, 'authorization');
};

t.test('happy path: the plugin token authenticates, with cluster info passed to the plugin', async (t) => {
  const s = await setup(t, { tokens: [SECRETS.userToken], expiresInSeconds: 3600 });
  t.equal((await list(s.proxy)).status, 200);
  t.equal(authorizationSeen(s.cluster), `Bearer ${SECRETS.userToken}`);
  t.equal(s.cluster.api.requests.last()?.user?.name, 'alice');
  t.match(s.plugin.lastSeen().execInfo, { spec: { interactive: false, cluster: { server: s.cluster.api.url } } });
  t.equal((await list(s.proxy)).status, 200);
  t.equal(s.plugin.runs(), 1, 'the cached token served the second request');
  t.notMatch(s.proxy.stderr(), SECRETS.userToken, 'the plugin output never reaches the log');
});

t.test('single flight: 50 concurrent requests share one plugin run', async (t) => {
  const s = await setup(t, { tokens: [SECRETS.userToken], expiresInSeconds: 3600, delayMs: 300 });
  const answers = await Promise.all(Array.from({ length: 50 }, () => list(s.proxy)));
  t.ok(answers.every((answer) => answer.status === 200), 'all 50 succeeded');
  t.equal(s.plugin.runs(), 1, 'one plugin run for 50 concurrent requests');
  t.comment(`single flight: 50 concurrent requests, ${s.plugin.runs()} plugin run`);
});

t.test('expiry: refreshed shortly before expirationTimestamp, the old token served meanwhile', async (t) => {
  // 31 s of validity: inside the 30 s refresh window after 1 s.
  const s = await setup(t, { tokens: [SECRETS.userToken, SECRETS.rotatedToken], expiresInSeconds: 31 });
  t.equal((await list(s.proxy)).status, 200);
  t.equal(authorizationSeen(s.cluster), `Bearer ${SECRETS.userToken}`);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  t.equal((await list(s.proxy)).status, 200);
  t.equal(authorizationSeen(s.cluster), `Bearer ${SECRETS.userToken}`, 'the still-valid token is used while the refresh runs');
  for (let i = 0; i < 100 && s.plugin.runs() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal((await list(s.proxy)).status, 200);
  t.equal(authorizationSeen(s.cluster), `Bearer ${SECRETS.rotatedToken}`, 'the refreshed token is used next');
  t.equal(s.plugin.runs(), 2);
});

t.test('401: the plugin is re-run once and the request retried, the client never sees the 401', async (t) => {
  const s = await setup(t, { tokens: [SECRETS.revokedToken, SECRETS.userToken] });
  const answer = await list(s.proxy);
  t.equal(answer.status, 200, answer.body);
  t.equal(s.plugin.runs(), 2);
  const seen = s.cluster.api.requests.all.map((entry) => RequestLog.header(entry, 'authorization'));
  t.same(seen, [`Bearer ${SECRETS.revokedToken}`, `Bearer ${SECRETS.userToken}`]);
});

t.test('401 to a plugin\'s client certificate: the plugin is re-run and the next request uses the new certificate; the 401 itself is passed on, as client-go does', async (t) => {
  const cluster = await startTestCluster(t);
  // A certificate the API server's CA never signed: the handshake passes (it asks for, not requires, one) and the request is a 401.
  const stranger = await (await createPki()).ca.issueClientCertificate('stranger');
  const renewed = await cluster.api.pki.ca.issueClientCertificate('alice-renewed', ['system:masters']);
  const s = await setup(t, { clientCertificates: [{ cert: stranger.certPem, key: stranger.keyPem }, { cert: renewed.certPem, key: renewed.keyPem }] }, [], '', cluster);
  // Several at once: each 401 reaches its client (none replayed), and the plugin runs once more afterwards, not once per 401.
  const refused = await Promise.all(Array.from({ length: 5 }, () => list(s.proxy)));
  t.same(refused.map((answer) => answer.status), [401, 401, 401, 401, 401], 'a certificate is not replayed: the client sees the 401 (client-go returns it too)');
  t.equal(s.plugin.runs(), 1);
  const next = await list(s.proxy);
  t.equal(next.status, 200, next.body);
  t.equal(s.plugin.runs(), 2, 'the 401 dropped the plugin\'s output');
  t.equal(s.cluster.api.requests.last()?.user?.name, 'alice-renewed', 'on a connection made with the new certificate');
});

t.test('a failing plugin: its exit code reaches the error response, its stderr only the log', async (t) => {
  const s = await setup(t, { exitCode: 3, stderr: 'error: you are not logged in; run `corp-login`\n' });
  const answer = await list(s.proxy);
  t.equal(answer.status, 500);
  const status = JSON.parse(answer.body) as { kind: string; message: string };
  t.equal(status.kind, 'Status');
  t.match(status.message, /exited with code 3; what it printed on stderr is in kubegate's log/);
  t.notMatch(status.message, /not logged in/);
  t.match(s.proxy.stderr(), /exited with code 3; its stderr \(redacted\) follows/);
  t.match(s.proxy.stderr(), /error: you are not logged in; run `corp-login`/);
  t.equal(s.cluster.api.requests.received, 0, 'nothing was sent upstream');
});

t.test('a hanging plugin times out with a clear error', async (t) => {
  const s = await setup(t, { hang: true }, ['--exec-plugin-timeout=500ms']);
  const answer = await list(s.proxy);
  t.equal(answer.status, 500);
  t.match(answer.body, /did not finish within 0\.5s and was stopped/);
});

t.test('a missing plugin shows its installHint', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('none', {
    name: 'missing',
    extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'kubegate-test-no-such-plugin', interactiveMode: 'Never', installHint: 'Install it: see https://example.com/login-plugin' } },
  });
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const answer = await list(proxy);
  t.equal(answer.status, 500);
  t.match(answer.body, /executable kubegate-test-no-such-plugin not found/);
  t.match(answer.body, /Install it: see https:\/\/example.com\/login-plugin/);
});
