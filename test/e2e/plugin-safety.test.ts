import t, { type Test } from 'tap';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { writeTestPlugin, type PluginBehaviour } from '../fixtures/exec-plugins.js';
import { buildRawRequest, freePort, rawRequest, startKubegate, type RawResponse, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Broken exec credential plugins against the built binary: /readyz says why, kubegate keeps serving,
// and nothing a plugin prints reaches a client (issue 13).

interface Setup {
  readonly cluster: TestCluster;
  readonly proxy: RunningProxy;
  readonly adminPort: number;
}

async function start(t: Teardown, exec: Record<string, unknown>, flags: readonly string[] = [], adminHost = '127.0.0.1'): Promise<Setup> {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('none', {
    name: 'plugin-safety',
    extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', ...exec } },
  });
  const adminPort = await freePort();
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0', `--admin-address=${adminHost}:${adminPort}`, ...flags], {
    env: { HOME: cluster.dir, KUBECONFIG: undefined },
  });
  return { cluster, proxy, adminPort };
}

async function startWithPlugin(t: Teardown, behaviour: PluginBehaviour, flags: readonly string[] = []): Promise<Setup> {
  return start(t, { command: writeTestPlugin(t, behaviour).command }, flags);
}

const readyz = (s: Setup, host = 'localhost'): Promise<RawResponse> =>
  rawRequest(s.adminPort, buildRawRequest('GET', '/readyz', { Host: `${host}:${s.adminPort}` }));
const listPods = (s: Setup): Promise<RawResponse> =>
  rawRequest(s.proxy.port, buildRawRequest('GET', '/api/v1/namespaces/default/pods', { Host: `localhost:${s.proxy.port}` }));

/** Three rounds of five concurrent probes: each answers 503 naming the cause. */
async function probeRepeatedly(t: Test, s: Setup, cause: RegExp): Promise<RawResponse[]> {
  const all: RawResponse[] = [];
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(Array.from({ length: 5 }, () => readyz(s)));
    for (const answer of answers) {
      t.equal(answer.status, 503, `round ${round}: 503`);
      t.match(answer.body.toString(), cause, `round ${round}: names the cause`);
    }
    all.push(...answers);
  }
  return all;
}

/** The process is alive, still answers the API port (a Status error) and logged no internal error. */
async function stillServing(t: Test, s: Setup): Promise<RawResponse> {
  const answer = await listPods(s);
  t.equal(answer.status, 500);
  t.match(JSON.parse(answer.body.toString()) as unknown, { kind: 'Status', code: 500 });
  t.equal(s.proxy.child.exitCode, null, 'kubegate did not exit');
  t.equal(s.proxy.child.signalCode, null);
  // Readiness asks the API server's /readyz (reachability) without a credential; nothing else went upstream.
  t.same(
    s.cluster.api.requests.all.filter((entry) => entry.path !== '/readyz' || RequestLog.header(entry, 'authorization') !== undefined),
    [],
    'only unauthenticated reachability checks reached the API server',
  );
  t.notMatch(s.proxy.stderr(), /internal error/, 'no promise was left unhandled');
  return answer;
}

const BROKEN: readonly { readonly name: string; readonly behaviour?: PluginBehaviour; readonly exec?: Record<string, unknown>; readonly flags?: readonly string[]; readonly cause: RegExp }[] = [
  {
    name: 'missing',
    exec: { command: 'kubegate-test-no-such-plugin', installHint: 'Install corp-login' },
    cause: /credentials are not usable: exec: executable kubegate-test-no-such-plugin not found/,
  },
  { name: 'failing (exit 1)', behaviour: { exitCode: 1, stderr: 'not logged in\n' }, cause: /exec plugin \S+plugin\.mjs \(users\[name=\S+\]\.user\.exec\) exited with code 1; what it printed on stderr is in kubegate's log/ },
  { name: 'garbage output', behaviour: { stdout: 'Welcome! Your token is below\n<html>' }, cause: /returned an unusable ExecCredential: its standard output is not JSON/ },
  { name: 'timing out', behaviour: { hang: true }, flags: ['--exec-plugin-timeout=300ms'], cause: /did not finish within 0\.3s and was stopped/ },
  {
    name: 'a token that would inject a header',
    behaviour: { stdout: JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', status: { token: 'tok\r\nX-Injected: 1' } }) },
    cause: /status\.token holds characters an HTTP header cannot carry/,
  },
];

for (const broken of BROKEN) {
  t.test(`a ${broken.name} plugin: /readyz answers 503 naming it, over and over, and kubegate keeps serving`, async (t) => {
    const s = broken.exec ? await start(t, broken.exec, broken.flags) : await startWithPlugin(t, broken.behaviour ?? {}, broken.flags);
    await probeRepeatedly(t, s, broken.cause);
    await stillServing(t, s);
    t.equal((await readyz(s)).status, 503, 'and /readyz still answers after that');
  });
}

t.test('nothing a plugin prints reaches a client: the refresh token it writes to stderr is only in the log, redacted', async (t) => {
  const refreshToken = 'rt-LEAKED-0123456789abcdef';
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwbHVnaW4tbGVhayJ9.bGVha2VkLXNpZ25hdHVyZQ';
  const bearer = 'bt-LEAKED-fedcba9876543210';
  const stderr = `refresh failed: refresh_token=${refreshToken}\nid token ${jwt}\nAuthorization: Bearer ${bearer}\n\u001b[2Jcleared your terminal\n`;
  const s = await startWithPlugin(t, { exitCode: 1, stderr });
  const responses = [await listPods(s), ...(await probeRepeatedly(t, s, /exited with code 1; what it printed on stderr is in kubegate's log/))];
  const api = await stillServing(t, s);
  t.match(api.body.toString(), /exited with code 1; what it printed on stderr is in kubegate's log/, 'the response names the plugin and its exit code');
  for (const response of [...responses, api]) {
    const whole = `${response.raw}\r\n\r\n${response.body.toString()}`;
    for (const secret of [refreshToken, jwt, bearer, 'refresh failed', 'cleared your terminal']) t.notOk(whole.includes(secret), `no "${secret}" in a response`);
  }
  const log = s.proxy.stderr();
  t.match(log, /exited with code 1; its stderr \(redacted\) follows/, "kubegate's log has the failure");
  t.match(log, /refresh_token=\[REDACTED\]/);
  t.match(log, /Bearer \[REDACTED\]/);
  t.match(log, /U\+001B\[2Jcleared your terminal/, 'the escape sequence is shown, not obeyed');
  for (const secret of [refreshToken, jwt, bearer]) t.notOk(log.includes(secret), `no "${secret.slice(0, 12)}…" in the log`);
});

t.test('the admin listener: --accept-hosts rules plus IP literals, and a warning when bound beyond loopback', async (t) => {
  const s = await start(t, { command: writeTestPlugin(t, { exitCode: 1 }).command }, [], '0.0.0.0');
  t.match(s.proxy.stderr(), new RegExp(`admin listener on 0\\.0\\.0\\.0:${s.adminPort}, beyond this machine`));
  for (const host of ['localhost', '127.0.0.1', '10.244.1.17']) {
    t.equal((await readyz(s, host)).status, 503, `Host ${host}: the probe is answered`);
  }
  for (const host of ['attacker.example', 'localhost.attacker.example']) {
    const answer = await readyz(s, host);
    t.equal(answer.status, 403, `Host ${host}: refused (DNS rebinding)`);
    t.notMatch(answer.body.toString(), /exec plugin|not ready/);
    const metrics = await rawRequest(s.adminPort, buildRawRequest('GET', '/metrics', { Host: `${host}:${s.adminPort}` }));
    t.equal(metrics.status, 403);
    t.notMatch(metrics.body.toString(), /kubegate_/);
  }
  const scraped = await rawRequest(s.adminPort, buildRawRequest('GET', '/metrics', { Host: `10.244.1.17:${s.adminPort}` }));
  t.match(scraped.body.toString(), /kubegate_credential_refreshes_total\{source="exec",outcome="failure"\} [1-9]/);
});
