import t from 'tap';
import fc from 'fast-check';
import { connect } from 'node:net';
import { posix } from 'node:path';
import type { RecordedRequest } from '../../src/demo-cluster/request-log.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { startKubegate, type RunningProxy } from '../fixtures/processes.js';

// The filter-bypass suite. Hundreds of hand-written tricks, then property-based ones, are sent as raw
// bytes to kubegate. The oracle is the test API server: it records what arrives, and every arrival
// is judged the way kube-apiserver would read it (percent-decoded, dot segments resolved, case kept).
// A request the flags should have stopped that arrives there is a bypass. Expected bypasses: zero.

const CASE_HEADER = 'x-bypass-case';

// ------------------------------------------------------------------ the oracle

/** The path as kube-apiserver acts on it: Go decodes %XX (so %2F is a slash) and routes on clean segments. */
function semanticPath(rawPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    // Invalid escapes or UTF-8: keep the bytes; they cannot spell "exec" any other way.
    decoded = rawPath;
  }
  return posix.normalize(decoded.replace(/\/+/g, '/'));
}

const EXEC_OR_ATTACH = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach)(\/|$)/;

function isExecOrAttach(request: RecordedRequest): boolean {
  const info = request.requestInfo;
  if (info.resource === 'pods' && (info.subresource === 'exec' || info.subresource === 'attach')) return true;
  return EXEC_OR_ATTACH.test(semanticPath(request.path));
}

interface Policy {
  readonly name: string;
  readonly flags: readonly string[];
  /** Why an arrival breaks this flag set's policy, or undefined when it may arrive. */
  readonly violation: (request: RecordedRequest, sent: SentCase) => string | undefined;
  /** Where the API lives under this flag set. */
  readonly apiPrefix: string;
}

const execPolicy = (request: RecordedRequest): string | undefined => (isExecOrAttach(request) ? `exec/attach arrived as ${request.method} ${request.path}` : undefined);
const hostPolicy = (_request: RecordedRequest, sent: SentCase): string | undefined => (sent.badHost ? `a request for Host ${JSON.stringify(sent.hostLabel)} arrived` : undefined);

const POLICIES: readonly Policy[] = [
  { name: 'default flags', flags: [], apiPrefix: '/', violation: (r, s) => execPolicy(r) ?? hostPolicy(r, s) },
  { name: '--api-prefix=/custom/', flags: ['--api-prefix=/custom/'], apiPrefix: '/custom/', violation: (r, s) => execPolicy(r) ?? hostPolicy(r, s) },
  { name: '--www with --www-prefix=/ui/', flags: ['--www=.', '--www-prefix=/ui/'], apiPrefix: '/', violation: (r, s) => execPolicy(r) ?? hostPolicy(r, s) },
  {
    name: '--accept-paths=^/api/v1/namespaces/default/ --reject-methods=^POST$,^DELETE$',
    flags: ['--accept-paths=^/api/v1/namespaces/default/', '--reject-methods=^POST$,^DELETE$'],
    apiPrefix: '/',
    violation: (request, sent) => {
      if (request.method === 'POST' || request.method === 'DELETE') return `a ${request.method} arrived`;
      const path = semanticPath(request.path);
      if (!path.startsWith('/api/v1/namespaces/default/')) return `a path outside the accepted namespace arrived: ${request.path} (${path})`;
      return execPolicy(request) ?? hostPolicy(request, sent);
    },
  },
];

// ------------------------------------------------------------------ the cases

interface CaseSpec {
  readonly label: string;
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly httpVersion?: '1.0' | '1.1';
  readonly badHost?: boolean;
  readonly hostLabel?: string;
}

interface SentCase extends CaseSpec {
  readonly id: string;
  readonly status: number;
}

const POD = '/api/v1/namespaces/default/pods/p';

/** Ways to spell `${POD}/${sub}` that a naive filter might not recognise. */
function pathTricks(sub: string): string[] {
  const s = sub;
  const first = `%${s.charCodeAt(0).toString(16)}${s.slice(1)}`;
  const allHex = [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
  return [
    `${POD}/${s}`,
    `${POD}/${s}/`,
    `${POD}/${s}?command=id`,
    `${POD}/${s}?`,
    `${POD}/${s}#x`,
    `/${POD}/${s}`,
    `${POD.replace('/api/', '/api//')}/${s}`,
    `${POD.replace('/pods/', '/pods//')}/${s}`,
    `${POD}//${s}`,
    `${POD}/${s}//`,
    `/./${POD.slice(1)}/${s}`,
    `${POD.replace('/v1/', '/./v1/')}/${s}`,
    `${POD}/./${s}`,
    `${POD}/x/../${s}`,
    `${POD.replace('/pods/p', '/pods/x/../p')}/${s}`,
    `/x/..${POD}/${s}`,
    `/apis/..${POD}/${s}`,
    `${POD}/%2e/${s}`,
    `${POD}/x/%2e%2e/${s}`,
    `${POD}/x/%2E%2E/${s}`,
    `${POD}/x/.%2e/${s}`,
    `${POD}/x/%2e./${s}`,
    `${POD}/x/%2e%2e%2f${s}`,
    `${POD}/x%2f..%2f${s}`,
    `${POD}%2f${s}`,
    `${POD}%2F${s}`,
    `${POD.replace(/\//g, '%2F')}%2F${s}`,
    `${POD.replace('/pods/', '/pods%2f')}/${s}`,
    `${POD}%252f${s}`,
    `${POD}%252F${s}`,
    `${POD}/%25${s.charCodeAt(0).toString(16)}${s.slice(1)}`,
    `${POD}/${first}`,
    `${POD}/${first.toUpperCase().replace(/[A-Z]+$/, (m) => m.toLowerCase())}`,
    `${POD}/${allHex}`,
    `${POD}/${allHex.toUpperCase()}`,
    `${POD.replace('pods', '%70ods')}/${s}`,
    `${POD.replace('pods', '%50ods')}/${s}`,
    `${POD}/${s}%00`,
    `${POD}/${s}%00.json`,
    `${POD}%00/${s}`,
    `${POD}/${s}%c0%af`,
    `${POD}%c0%af${s}`,
    `${POD}/x/%c0%ae%c0%ae/${s}`,
    `${POD}/${s};x`,
    `${POD};x/${s}`,
    `${POD}/${s};`,
    `${POD}/${s.toUpperCase()}`,
    `${POD}/${s[0]?.toUpperCase() ?? ''}${s.slice(1)}`,
    `${POD.toUpperCase()}/${s}`,
    `${POD.replace('api', 'API')}/${s}`,
    `${POD}/${s}%20`,
    `${POD}/${s}%09`,
    `${POD}/${s}.json`,
    `${POD}/${s}/x`,
    `${POD}/${s}%3fcommand=id`,
    `${POD}/${s}%23`,
    `${POD}\\${s}`,
    `${POD}/${s}\\`,
    `http://localhost${POD}/${s}`,
    `http://127.0.0.1${POD}/${s}`,
    `HTTP://LOCALHOST${POD}/${s}`,
    `http://localhost:1${POD}/${s}`,
    `http://user@localhost${POD}/${s}`,
    `http://localhost//${POD.slice(1)}/${s}`,
    `http://localhost${POD}%2f${s}`,
  ];
}

const UPGRADES: readonly (readonly [string, string])[][] = [
  [],
  [
    ['Connection', 'Upgrade'],
    ['Upgrade', 'SPDY/3.1'],
    ['X-Stream-Protocol-Version', 'v4.channel.k8s.io'],
  ],
  [
    ['Connection', 'keep-alive, Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io'],
  ],
];

function handWrittenCases(apiPrefix: string): CaseSpec[] {
  const prefixed = (target: string): string => {
    if (apiPrefix === '/') return target;
    if (target.startsWith('/')) return `${apiPrefix.slice(0, -1)}${target}`;
    return target.replace(/^([a-zA-Z]+:\/\/[^/]+)\//, `$1${apiPrefix}`);
  };
  const cases: CaseSpec[] = [];
  for (const sub of ['exec', 'attach']) {
    for (const target of pathTricks(sub)) {
      const method = cases.length % 2 === 0 ? 'GET' : 'POST';
      cases.push({ label: `${method} ${target}`, method, target: prefixed(target), headers: [] });
    }
  }
  // Upgrade requests take the same filter: every trick again, as SPDY and as WebSocket.
  for (const [index, upgrade] of UPGRADES.slice(1).entries()) {
    for (const target of pathTricks(index === 0 ? 'exec' : 'attach')) {
      cases.push({ label: `upgrade ${upgrade[1]?.[1] ?? ''} ${target}`, method: index === 0 ? 'POST' : 'GET', target: prefixed(target), headers: upgrade });
    }
  }
  for (const method of ['HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'FOO', 'PROPFIND', 'CONNECT-X']) {
    for (const target of [`${POD}/exec`, `${POD}%2fexec`, `${POD}/x/../attach`]) {
      cases.push({ label: `${method} ${target}`, method, target: prefixed(target), headers: [] });
    }
  }
  cases.push({ label: 'OPTIONS *', method: 'OPTIONS', target: '*', headers: [] });
  cases.push({ label: 'GET *', method: 'GET', target: '*', headers: [] });
  cases.push({ label: 'CONNECT authority-form', method: 'CONNECT', target: 'localhost:443', headers: [] });
  cases.push({ label: 'GET without leading slash', method: 'GET', target: `${POD.slice(1)}/exec`, headers: [] });
  return cases;
}

const GOOD_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/** Host header games: each must be rejected unless the effective host is one the default filter accepts. */
function hostCases(apiPrefix: string): CaseSpec[] {
  const target = `${apiPrefix}api/v1/namespaces/default/configmaps`;
  const hosts = [
    'evil.com',
    'evil.com:8001',
    'localhost.evil.com',
    'localhost.attacker.example:8001',
    '127.0.0.1.nip.io',
    'rebind.attacker.example',
    'localhost.',
    '127.0.0.1.',
    'user@localhost',
    'localhost@evil.com',
    'localhost:8001@evil.com',
    'evil.com#@localhost',
    'evil.com?localhost',
    'evil.com/localhost',
    '127.1',
    '0x7f.0.0.1',
    '2130706433',
    '0177.0.0.1',
    '[::ffff:127.0.0.1]',
    '[0:0:0:0:0:0:0:1]',
    '::1',
    'LOCALHOST',
    'Localhost',
    'localhost:8001:8001',
    'localhost :8001',
    '',
    ' localhost',
    'localhost%00.evil.com',
    'localhost\tevil.com',
  ];
  const cases: CaseSpec[] = hosts.map((host) => ({
    label: `Host ${JSON.stringify(host)}`,
    method: 'GET',
    target,
    headers: [['Host', host]],
    // HTTP trims optional whitespace around a field value, so " localhost" is localhost.
    badHost: !GOOD_HOST.test(host.trim()),
    hostLabel: host,
  }));
  cases.push({ label: 'two Host headers', method: 'GET', target, headers: [['Host', 'localhost'], ['Host', 'evil.com']], badHost: true, hostLabel: 'localhost + evil.com' });
  cases.push({ label: 'two Host headers, evil first', method: 'GET', target, headers: [['Host', 'evil.com'], ['Host', 'localhost']], badHost: true, hostLabel: 'evil.com + localhost' });
  cases.push({ label: 'HTTP/1.0 without Host', method: 'GET', target, headers: [], httpVersion: '1.0', badHost: true, hostLabel: '' });
  cases.push({ label: 'absolute-form naming evil.com with Host localhost', method: 'GET', target: `http://evil.com${target}`, headers: [['Host', 'localhost']], badHost: true, hostLabel: 'evil.com (absolute-form)' });
  cases.push({ label: 'absolute-form naming localhost with Host evil.com', method: 'GET', target: `http://localhost${target}`, headers: [['Host', 'evil.com']], badHost: false, hostLabel: 'localhost (absolute-form)' });
  cases.push({
    label: 'rebinding-style browser request',
    method: 'POST',
    target,
    headers: [
      ['Host', 'rebind.attacker.example:8001'],
      ['Origin', 'http://rebind.attacker.example:8001'],
      ['Content-Type', 'application/json'],
      ['Content-Length', '2'],
    ],
    badHost: true,
    hostLabel: 'rebind.attacker.example:8001',
  });
  cases.push({
    label: 'upgrade with a foreign Host',
    method: 'GET',
    target: `${apiPrefix}api/v1/namespaces/default/pods/p/portforward`,
    headers: [['Host', 'evil.com'], ...(UPGRADES[2] ?? [])],
    badHost: true,
    hostLabel: 'evil.com (upgrade)',
  });
  return cases;
}

// ------------------------------------------------------------------ sending

function renderCase(spec: CaseSpec, id: string): Buffer {
  const version = spec.httpVersion ?? '1.1';
  const lines = [`${spec.method} ${spec.target} HTTP/${version}`];
  const hasHost = spec.headers.some(([name]) => name.toLowerCase() === 'host');
  if (!hasHost && version === '1.1') lines.push('Host: localhost');
  for (const [name, value] of spec.headers) lines.push(`${name}: ${value}`);
  lines.push(`${CASE_HEADER}: ${id}`);
  if (!spec.headers.some(([name]) => name.toLowerCase() === 'connection')) lines.push('Connection: close');
  const body = spec.headers.some(([name]) => name === 'Content-Length') ? '{}' : '';
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

/** Sends raw bytes and returns the status code of the response head (0 if the connection closed first). */
function sendRaw(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received.toString('latin1'));
      resolve(match ? Number(match[1]) : 0);
    };
    const timer = setTimeout(finish, 3_000);
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // An upgrade answered 101 stays open: the head is all this suite needs.
      if (received.includes('\r\n\r\n')) finish();
    });
    socket.write(bytes);
  });
}

function arrivals(cluster: TestCluster, id: string): RecordedRequest[] {
  return cluster.api.requests.all.filter((request) => request.headers[CASE_HEADER] === id);
}

async function runCases(proxy: RunningProxy, cluster: TestCluster, policy: Policy, specs: readonly CaseSpec[], prefix: string): Promise<{ sent: number; bypasses: string[]; arrived: number }> {
  const bypasses: string[] = [];
  let arrived = 0;
  for (const [index, spec] of specs.entries()) {
    const id = `${prefix}-${index}`;
    const status = await sendRaw(proxy.port, renderCase(spec, id));
    const sent: SentCase = { ...spec, id, status };
    for (const request of arrivals(cluster, id)) {
      arrived++;
      const why = policy.violation(request, sent);
      if (why) bypasses.push(`${policy.name}: ${spec.label} → ${why} (kubegate answered ${status})`);
    }
  }
  return { sent: specs.length, bypasses, arrived };
}

// ------------------------------------------------------------------ the suites

t.test('hand-written bypass cases under four flag sets: zero bypasses', async (t) => {
  const cluster = await startTestCluster(t);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  let total = 0;
  let bypassCount = 0;
  for (const [index, policy] of POLICIES.entries()) {
    const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0', ...policy.flags], { env, cwd: cluster.dir });
    const specs = [...handWrittenCases(policy.apiPrefix), ...hostCases(policy.apiPrefix)];
    const result = await runCases(proxy, cluster, policy, specs, `hand${index}`);
    total += result.sent;
    bypassCount += result.bypasses.length;
    t.same(result.bypasses, [], `${policy.name}: ${result.sent} cases, ${result.arrived} reached the API server, none that should not have`);
    // A suite where nothing ever arrives proves nothing: harmless variants (case, ;params) must get through.
    t.ok(result.arrived > 0, `${policy.name}: some harmless variants did reach the API server`);
    await proxy.stop();
  }
  t.ok(total >= 300, `${total} hand-written cases (at least 300)`);
  t.comment(`bypass suite: ${total} hand-written cases over ${POLICIES.length} flag sets, ${bypassCount} bypasses`);
});

t.test('the oracle itself: it sees through encodings and dot segments, and keeps case', async (t) => {
  const judged = (path: string): boolean => EXEC_OR_ATTACH.test(semanticPath(path));
  t.ok(judged('/api/v1/namespaces/d/pods/p%2Fexec'));
  t.ok(judged('/api/v1/namespaces/d/pods/p/x/../exec'));
  t.ok(judged('/api/v1/namespaces/d/pods/p/x/%2e%2e/attach'));
  t.ok(judged('//api/v1/namespaces/d/pods/p//exec'));
  t.notOk(judged('/api/v1/namespaces/d/pods/p/EXEC'));
  t.notOk(judged('/api/v1/namespaces/d/pods/p/exec;x'));
  t.notOk(judged('/api/v1/namespaces/d/pods/p/portforward'));
});

t.test('property: random compositions of risky segments, methods and upgrade headers never bypass the default filter', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const policy = POLICIES[0] as Policy;
  const segment = fc.oneof(
    fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'default', 'pods', 'p', 'exec', 'attach', 'portforward', 'log', '.', '..', '', 'EXEC', 'Exec', ';x', 'exec;x'),
    fc.constantFrom('%2e', '%2E', '%2e%2e', '.%2e', '%2f', '%2F', '%252f', '%65xec', '%65%78%65%63', '%61ttach', '%00', '%c0%af', '%c0%ae', '%20', '%3f', '%23', '\\'),
    fc.stringMatching(/^[a-z0-9%.;]{1,6}$/),
  );
  // Paths that start like an exec and then wander: the interesting neighbourhood.
  const path = fc.tuple(fc.array(segment, { minLength: 0, maxLength: 4 }), fc.constantFrom('exec', 'attach', '%2fexec', 'x/../exec', 'exec/'), fc.array(segment, { maxLength: 3 })).map(
    ([middle, sub, tail]) => `/api/v1/namespaces/default/pods/${['p', ...middle].join('/')}/${sub}${tail.length ? `/${tail.join('/')}` : ''}`,
  );
  const anyPath = fc.oneof(path, fc.array(segment, { minLength: 1, maxLength: 10 }).map((parts) => `/${parts.join('/')}`));
  const slashes = fc.constantFrom('', '/', '//');
  let index = 0;
  let arrived = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'FOO'),
      slashes,
      anyPath,
      fc.constantFrom(...UPGRADES),
      fc.constantFrom('', 'http://localhost', 'http://127.0.0.1:1'),
      async (method, lead, target, upgrade, absolute) => {
        const id = `prop-${index++}`;
        const spec: CaseSpec = { label: `${method} ${absolute}${lead}${target}`, method, target: `${absolute}${lead}${target}`, headers: upgrade };
        const status = await sendRaw(proxy.port, renderCase(spec, id));
        for (const request of arrivals(cluster, id)) {
          arrived++;
          const why = policy.violation(request, { ...spec, id, status });
          if (why) throw new Error(`bypass: ${spec.label} → ${why} (kubegate answered ${status})`);
        }
      },
    ),
    { numRuns: 600, seed: Number(process.env.KUBEGATE_FC_SEED ?? 20261128) },
  );
  t.ok(arrived > 0, `${index} generated requests, ${arrived} arrived (all harmless)`);
});
