import t from 'tap';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { KUBEGATE_BIN, buildRawRequest, rawRequest, requireKubectl, runCommand, startKubectlProxy, startKubegate, type RunningProxy } from '../fixtures/processes.js';

// Filter flags are Go regexps. The real `kubectl proxy` and kubegate, started with the same flag in
// front of the same test API server, get the same requests: each must be rejected by both or reach
// the API server through both. Patterns Go refuses must stop both at start. The rows are the ones
// where JavaScript's RegExp reads the same text differently (kubegate's bug before re2js).

requireKubectl();

type Fate = 'rejected' | 'forwarded';

interface Row {
  readonly name: string;
  readonly flag: string;
  /** Request target (percent-encoded as sent), its method and Host, and what must happen to it. */
  readonly requests: readonly { target: string; method?: string; host?: string; fate: Fate }[];
}

const SECRETS_PATH = '/api/v1/namespaces/default/secrets';

const ROWS: readonly Row[] = [
  {
    name: 'POSIX class [[:alpha:]] in --reject-paths (the secret that came back)',
    flag: '--reject-paths=^/api/v1/namespaces/[[:alpha:]]+/secrets',
    requests: [
      { target: SECRETS_PATH, fate: 'rejected' },
      { target: '/api/v1/namespaces/team1/secrets', fate: 'forwarded' },
    ],
  },
  {
    name: 'Unicode letters \\pL',
    flag: '--reject-paths=^/api/v1/namespaces/\\pL+/secrets',
    requests: [
      { target: '/api/v1/namespaces/d%C3%A9v/secrets', fate: 'rejected' },
      { target: '/api/v1/namespaces/d3v/secrets', fate: 'forwarded' },
    ],
  },
  {
    name: 'Unicode script \\p{Greek}',
    flag: '--reject-paths=^/api/v1/namespaces/\\p{Greek}+/',
    requests: [
      { target: '/api/v1/namespaces/%CE%B1%CE%B2/secrets', fate: 'rejected' },
      { target: '/api/v1/namespaces/ab/secrets', fate: 'forwarded' },
    ],
  },
  {
    name: 'end of text \\z',
    flag: '--reject-paths=/secrets\\z',
    requests: [
      { target: SECRETS_PATH, fate: 'rejected' },
      { target: `${SECRETS_PATH}/s1`, fate: 'forwarded' },
    ],
  },
  {
    name: 'beginning of text \\A',
    flag: '--reject-paths=\\A/api/v1/namespaces/default/secrets',
    requests: [{ target: SECRETS_PATH, fate: 'rejected' }],
  },
  {
    name: 'hex escape \\x{73}',
    flag: '--reject-paths=^/api/v1/namespaces/default/\\x{73}ecrets',
    requests: [{ target: SECRETS_PATH, fate: 'rejected' }],
  },
  {
    name: 'quoted literal \\Q..\\E',
    flag: '--reject-paths=\\Q/namespaces/default/secrets\\E',
    requests: [
      { target: SECRETS_PATH, fate: 'rejected' },
      { target: '/api/v1/namespaces/default/configmaps', fate: 'forwarded' },
    ],
  },
  {
    name: '(?i) in the middle of a pattern',
    flag: '--reject-paths=^/api/v1/(?i)NAMESPACES/default/SECRETS',
    requests: [{ target: SECRETS_PATH, fate: 'rejected' }],
  },
  {
    name: 'dot matches a carriage return (not in JavaScript)',
    flag: '--reject-paths=^/api/v1/namespaces/default/secrets/a.b$',
    requests: [{ target: `${SECRETS_PATH}/a%0Db`, fate: 'rejected' }],
  },
  {
    name: 'case-insensitive Host with \\z in --accept-hosts',
    flag: '--accept-hosts=(?i)^LOCALHOST\\z',
    requests: [
      { target: '/api', host: 'localhost', fate: 'forwarded' },
      { target: '/api', host: 'localhost.evil', fate: 'rejected' },
    ],
  },
  {
    name: '--reject-methods with \\A..\\z',
    flag: '--reject-methods=\\ADELETE\\z',
    requests: [
      { target: `${SECRETS_PATH}/s1`, method: 'DELETE', fate: 'rejected' },
      { target: SECRETS_PATH, method: 'GET', fate: 'forwarded' },
    ],
  },
  {
    name: 'catastrophic ^/(a+)+$ on a long path finishes (linear-time matching)',
    flag: '--reject-paths=^/(a+)+$',
    requests: [
      { target: `/${'a'.repeat(4000)}b`, fate: 'forwarded' },
      { target: `/${'a'.repeat(4000)}`, fate: 'rejected' },
    ],
  },
];

/** Go's regexp.Compile refuses these; kubectl dies at start, and so must kubegate. */
const REFUSED: readonly { name: string; flag: string }[] = [
  { name: 'backreference \\1', flag: '--reject-paths=^/api/(v1)/\\1' },
  { name: 'repetition over 1000', flag: '--reject-paths=a{1001}' },
  { name: 'lookahead (?=..)', flag: '--reject-paths=^/api(?=/v1)' },
  { name: 'Unicode class Cn (re2js knows it, Go 1.23 does not)', flag: '--reject-paths=^/api/\\p{Cn}' },
  { name: '\\Z', flag: '--accept-paths=^/api\\Z' },
];

async function fateThrough(proxy: RunningProxy, cluster: TestCluster, request: Row['requests'][number]): Promise<{ fate: Fate | 'unclear'; status: number }> {
  const before = cluster.api.requests.received;
  const answer = await rawRequest(proxy.port, buildRawRequest(request.method ?? 'GET', request.target, { Host: request.host ?? 'localhost' }));
  const reached = cluster.api.requests.received > before;
  if (reached && answer.status !== 403) return { fate: 'forwarded', status: answer.status };
  if (!reached && answer.status === 403) return { fate: 'rejected', status: answer.status };
  return { fate: 'unclear', status: answer.status };
}

t.test('kubectl proxy and kubegate read each filter pattern the same way', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('cert');
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  for (const row of ROWS) {
    await t.test(row.name, async (t) => {
      const args = ['--kubeconfig', kubeconfig, '--port=0', row.flag];
      const [kubectl, kubegate] = await Promise.all([startKubectlProxy(t, args, { env }), startKubegate(t, args, { env })]);
      for (const request of row.requests) {
        const label = `${request.method ?? 'GET'} ${request.target.slice(0, 60)} Host: ${request.host ?? 'localhost'}`;
        const viaKubectl = await fateThrough(kubectl, cluster, request);
        const viaKubegate = await fateThrough(kubegate, cluster, request);
        t.equal(viaKubectl.fate, request.fate, `kubectl proxy: ${label} is ${request.fate} (status ${viaKubectl.status})`);
        t.equal(viaKubegate.fate, viaKubectl.fate, `kubegate as kubectl: ${label} (status ${viaKubegate.status})`);
      }
    });
  }
});

t.test('patterns Go refuses stop both at start', async (t) => {
  const cluster = await startTestCluster(t);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  for (const row of REFUSED) {
    await t.test(row.name, async (t) => {
      const args = ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', row.flag];
      const [kubectl, kubegate] = await Promise.all([
        runCommand(requireKubectl(), ['proxy', ...args], { env, timeoutMs: 10_000 }),
        runCommand(process.execPath, [KUBEGATE_BIN, ...args], { env, timeoutMs: 10_000 }),
      ]);
      t.not(kubectl.status, 0, `kubectl proxy exits non-zero (${kubectl.status})`);
      t.not(kubectl.status, null, 'kubectl proxy did not start serving');
      t.match(kubectl.stderr, /Error compiling re: error parsing regexp: /, 'kubectl names Go\'s parse error');
      t.equal(kubegate.status, 1, 'kubegate exits 1');
      t.match(kubegate.stderr, /^error: invalid regular expression .* in --(reject|accept)-paths: error parsing regexp: /m, "kubegate's start-up error names the flag and Go's reason");
      t.notMatch(kubegate.stdout, /Starting to serve/, 'kubegate never served');
    });
  }
});
