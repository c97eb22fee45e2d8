import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { RequestLog, type RecordedRequest } from '../../src/demo-cluster/request-log.js';
import { wantsPlainTextError } from '../../src/status.js';
import { findResourceType } from '../../src/demo-cluster/resources.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { SECRETS, startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { echoOnce, openUpgrade } from '../fixtures/tunnels.js';
import { buildRawRequest, rawRequest, requireKubectl, startKubectlProxy, startKubegate, type RawResponse, type RunningProxy } from '../fixtures/processes.js';

// The real `kubectl proxy` and kubegate, started with the same kubeconfig and flags in front of the same
// test API server, get the same raw requests. Status, body and what reached the API server must match,
// except for the deliberate differences listed in the README, each named where it applies.

requireKubectl();

/** Headers compared upstream; others (Accept-Encoding, Audit-ID, HTTP/2 pseudo-headers) differ on purpose. */
const COMPARED_HEADERS = ['host', 'authorization', 'impersonate-user', 'impersonate-group', 'impersonate-uid', 'user-agent', 'accept', 'content-type', 'content-length', 'x-forwarded-for', 'x-custom', 'x-foo', 'proxy-authorization', 'te'];

type Difference =
  /** kubegate answers filter rejections with a Status naming the rule; kubectl with `Forbidden\n`. */
  | 'filter-403-body'
  /** kubegate accepts `Host: [::1]:PORT` (kubernetes#77496). */
  | 'ipv6-host'
  /** `--token` wins over a kubeconfig tokenFile in kubegate. */
  | 'token-precedence'
  /** kubegate checks a Host whose port is not digits whole (kubectl strips `:abc` and accepts `localhost`). */
  | 'strict-host-port';

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly target: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Raw bytes instead of a built request. */
  readonly raw?: string;
  readonly difference?: Difference;
  /** Runs before each side's request (e.g. delete what the previous side created). */
  readonly reset?: (cluster: TestCluster) => void;
}

interface Config {
  readonly name: string;
  readonly args: (cluster: TestCluster, extra: { www: string; socket: string }) => string[];
  readonly kubeconfig?: 'cert' | 'token-file' | 'none';
  readonly unix?: boolean;
  readonly cases: readonly Case[];
}

interface UpstreamView {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly user: string | undefined;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

interface View {
  readonly status: number;
  readonly location: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly body: string;
  readonly upstream: readonly UpstreamView[];
}

const CM = findResourceType('', 'v1', 'configmaps');
const removeConfigMap = (name: string) => (cluster: TestCluster) => {
  if (CM) cluster.api.store.delete(CM, 'default', name);
};

/** Drops fields that differ between two runs of the same request (identity, versions, times). */
function normalizeBody(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    return JSON.stringify(parsed, (key, value: unknown) =>
      ['uid', 'resourceVersion', 'creationTimestamp', 'generation'].includes(key) ? '<varies>' : value,
    );
  } catch {
    return body.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');
  }
}

function upstreamView(entry: RecordedRequest): UpstreamView {
  const headers: Record<string, string | undefined> = {};
  for (const name of COMPARED_HEADERS) headers[name] = RequestLog.header(entry, name);
  return { method: entry.method, path: entry.path, query: entry.query, user: entry.user?.name, headers, body: entry.body.toString() };
}

function view(response: RawResponse, upstream: readonly RecordedRequest[]): View {
  const header = (name: string): string | undefined => response.headers.get(name)?.[0];
  return {
    status: response.status,
    location: header('location'),
    contentType: header('content-type'),
    contentEncoding: header('content-encoding'),
    body: normalizeBody(response.body.toString('latin1')),
    upstream: upstream.map(upstreamView),
  };
}

async function send(proxy: RunningProxy, socket: string | undefined, request: string): Promise<RawResponse> {
  if (socket === undefined) return rawRequest(proxy.port, request);
  const client = connect(socket);
  client.on('error', () => {});
  await once(client, 'connect');
  client.write(request);
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(client, 'close');
  // Reuse the response parser by replaying the bytes through a loopback echo is overkill: parse inline.
  const data = Buffer.concat(chunks);
  const split = data.indexOf('\r\n\r\n');
  const head = data.subarray(0, split).toString('latin1').split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), [line.slice(colon + 1).trim()]);
  }
  return { status: Number(head[0]?.split(' ')[1]), headers, body: data.subarray(split + 4), raw: head.join('\r\n') };
}

const UA = { 'User-Agent': 'diff-client/1.0', Accept: 'application/json' };
const req = (name: string, target: string, extra: Partial<Case> = {}): Case => ({ name, target, ...extra });

const API_CASES: readonly Case[] = [
  req('root', '/'),
  req('api discovery', '/api'),
  req('apis discovery', '/apis'),
  req('group discovery', '/apis/apps/v1'),
  req('version', '/version'),
  req('healthz passes through to the API server', '/healthz'),
  req('list pods', '/api/v1/namespaces/default/pods'),
  req('list pods with a raw query', '/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx&limit=5'),
  req('get one pod', '/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p'),
  req('all-namespace list', '/api/v1/pods'),
  req('missing object 404 Status', '/api/v1/namespaces/default/pods/nope'),
  req('unknown resource 404', '/api/v1/namespaces/default/widgets'),
  req('pod logs', '/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p/log'),
  req('exec is rejected', '/api/v1/namespaces/default/pods/foo/exec', { difference: 'filter-403-body' }),
  req('exec with trailing slash', '/api/v1/namespaces/default/pods/foo/exec/', { difference: 'filter-403-body' }),
  req('exec with a query', '/api/v1/namespaces/default/pods/foo/exec?command=ls', { difference: 'filter-403-body' }),
  req('exec with a ;param', '/api/v1/namespaces/default/pods/foo/exec;x', { difference: 'filter-403-body' }),
  req('exec with %3F', '/api/v1/namespaces/default/pods/foo/exec%3Fx', { difference: 'filter-403-body' }),
  req('execfoo', '/api/v1/namespaces/default/pods/foo/execfoo', { difference: 'filter-403-body' }),
  req('percent-encoded e in exec', '/api/v1/namespaces/default/pods/foo/%65xec', { difference: 'filter-403-body' }),
  req('encoded slash before exec', '/api/v1/namespaces/default/pods/foo%2Fexec', { difference: 'filter-403-body' }),
  req('encoded a in api', '/%61pi/v1/namespaces/default/pods/foo/exec', { difference: 'filter-403-body' }),
  req('encoded dot segment', '/api/v1/namespaces/default/pods/foo/%2e/exec', { difference: 'filter-403-body' }),
  req('POST exec', '/api/v1/namespaces/default/pods/foo/exec', { method: 'POST', difference: 'filter-403-body' }),
  req('attach is rejected', '/api/v1/namespaces/default/pods/foo/attach', { difference: 'filter-403-body' }),
  req('dot segment redirect', '/api/v1/namespaces/default/pods/foo/./exec'),
  req('dot-dot redirect', '/api/v1/namespaces/default/pods/foo/x/../exec'),
  req('leading double slash redirect', '//api/v1/namespaces/default/pods/foo/exec'),
  req('inner double slash redirect keeps the query', '/api//v1/namespaces/default/pods?x=1'),
  req('apis/.. redirect', '/apis/../api/v1/namespaces/default/pods/foo/exec'),
  req('trailing /.. redirect', '/api/v1/namespaces/..'),
  req('POST redirect has no body', '/api/./v1/namespaces/default/configmaps', { method: 'POST', body: '{}' }),
  req('HEAD redirect', '/api/./v1', { method: 'HEAD' }),
  req('portforward is not blocked', '/api/v1/namespaces/default/pods/foo/portforward'),
  req('pod proxy is not blocked', '/api/v1/namespaces/default/pods/foo/proxy'),
  req('upper-case API is not blocked', '/API/v1/namespaces/default/pods/foo/exec'),
  req('apis exec is not blocked', '/apis/v1/namespaces/default/pods/foo/exec'),
  req('encoded slash kept upstream', '/api/v1/namespaces/default/configmaps/a%2Fb'),
  req('encoded letter kept upstream', '/api/v1/namespaces/default/configmaps/a%41b'),
  req('encoded space kept', '/api/v1/namespaces/default/configmaps/x%20y'),
  req('encoded dot-dot kept', '/api/v1/x/%2e%2e/y'),
  req('encoded NUL kept', '/api/v1/namespaces/default/configmaps/x%00y'),
  req('semicolon kept', '/api/v1/namespaces/default/configmaps/x;a=b'),
  req('raw query untouched', '/api/v1/namespaces/default/configmaps?a=%2F&b=c+d'),
  req('malformed query escape untouched', '/api/v1/namespaces/default/configmaps?q=a%zz&b=<>'),
  req('double quote re-escaped', '/api/v1/namespaces/default/configmaps/x"y'),
  req('angle brackets re-escaped', '/api/v1/namespaces/default/configmaps/x<y>'),
  req('caret and backtick re-escaped', '/api/v1/namespaces/default/configmaps/x^y`z'),
  req('pipe and braces re-escaped', '/api/v1/namespaces/default/configmaps/x|y{z}'),
  req('sub-delims unchanged', "/api/v1/namespaces/default/configmaps/x'!$&()*+,;=:@[]~y"),
  req('malformed path escape', '/api/x%zzy'),
  req('service proxy', '/api/v1/namespaces/default/services/web/proxy/some/page?x=1'),
  req('watch with a timeout', '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1'),
  req('upstream 302 and Location pass through', '/api/v1/redirect-me'),
  req('POST YAML creates', '/api/v1/namespaces/default/configmaps', {
    method: 'POST',
    headers: { 'Content-Type': 'application/yaml' },
    body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: diff-created\ndata:\n  a: b\n',
    reset: removeConfigMap('diff-created'),
  }),
  req('POST JSON conflict 409', '/api/v1/namespaces/default/configmaps', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-root"}}',
    reset: (cluster) => {
      if (CM && !cluster.api.store.get(CM, 'default', 'kube-root')) cluster.api.store.create(CM, { metadata: { name: 'kube-root', namespace: 'default' } });
    },
  }),
  req('PATCH merge', '/api/v1/namespaces/default/configmaps/kube-root', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: '{"data":{"patched":"yes"}}',
  }),
  req('DELETE', '/api/v1/namespaces/default/configmaps/to-delete', {
    method: 'DELETE',
    reset: (cluster) => {
      if (CM && !cluster.api.store.get(CM, 'default', 'to-delete')) cluster.api.store.create(CM, { metadata: { name: 'to-delete', namespace: 'default' } });
    },
  }),
  req('HEAD', '/api/v1/namespaces/default/pods', { method: 'HEAD' }),
  req('OPTIONS is forwarded', '/api/v1/namespaces/default/pods', { method: 'OPTIONS' }),
  req('custom header passes', '/api', { headers: { 'X-Custom': 'kept' } }),
  req('Connection-listed header dropped', '/api', { headers: { Connection: 'close, X-Foo', 'X-Foo': 'dropped' } }),
  req('Proxy-Authorization dropped', '/api', { headers: { 'Proxy-Authorization': 'Basic c2VjcmV0' } }),
  req('TE trailers kept', '/api', { headers: { TE: 'trailers' } }),
  req("client's own Authorization wins", '/api/v1/namespaces/default/pods', { headers: { Authorization: `Bearer ${SECRETS.flagToken}` } }),
  req('client Impersonate-User passes', '/api/v1/namespaces/default/pods', { headers: { 'Impersonate-User': 'erin' } }),
  req('prior X-Forwarded-For is appended to', '/api', { headers: { 'X-Forwarded-For': '1.2.3.4' } }),
  req('Host 127.0.0.1 accepted', '/api', { headers: { Host: '127.0.0.1:8001' } }),
  req('Host with a bad port', '/api', { headers: { Host: 'localhost:abc' }, difference: 'strict-host-port' }),
  req('foreign Host rejected', '/api', { headers: { Host: 'evil.example.com' }, difference: 'filter-403-body' }),
  req('upper-case Host rejected', '/api', { headers: { Host: 'LOCALHOST' }, difference: 'filter-403-body' }),
  req('trailing-dot Host rejected', '/api', { headers: { Host: 'localhost.' }, difference: 'filter-403-body' }),
  req('IPv6 literal Host with port', '/api', { headers: { Host: '[::1]:8001' }, difference: 'ipv6-host' }),
  req('absolute-form target host wins (evil)', 'http://evil/api', { difference: 'filter-403-body' }),
  req('absolute-form target host wins (localhost)', 'http://localhost:5/api', { headers: { Host: 'evil' } }),
  req('two Host headers are a bad request', '/api', { raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nHost: evil.com\r\nUser-Agent: diff-client/1.0\r\nConnection: close\r\n\r\n' }),
  req('HTTP/1.0 without Host is rejected', '/api', { raw: 'GET /api HTTP/1.0\r\nUser-Agent: diff-client/1.0\r\n\r\n', difference: 'filter-403-body' }),
];

const CONFIGS: readonly Config[] = [
  { name: 'default flags', args: () => [], cases: API_CASES },
  {
    name: '--api-prefix=/custom/',
    args: () => ['--api-prefix=/custom/'],
    cases: [
      req('prefixed list', '/custom/api/v1/namespaces/default/pods'),
      req('prefix without slash redirects', '/custom'),
      req('bare prefix is the root', '/custom/'),
      req('outside the prefix is 404', '/api/v1/namespaces/default/pods'),
      req('prefix stripped once', '/custom/custom/x'),
      req('escaping lost after stripping', '/custom/api/v1/namespaces/default/configmaps/a%2Fb'),
      req('filter sees the stripped path', '/custom/api/v1/namespaces/d/pods/f/exec', { difference: 'filter-403-body' }),
    ],
  },
  {
    name: '--api-prefix=/api/',
    args: () => ['--api-prefix=/api/'],
    cases: [req('not stripped', '/api/v1/namespaces/default/pods'), req('/apis is outside', '/apis/apps/v1'), req('/api redirects', '/api')],
  },
  {
    name: "--reject-paths='^$' --reject-methods=POST,PUT",
    args: () => ['--reject-paths=^$', '--reject-methods=POST,PUT'],
    cases: [
      req('exec reaches the API server', '/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p/exec?command=ls'),
      req('POST rejected', '/api/v1/namespaces/default/configmaps', { method: 'POST', body: '{}', difference: 'filter-403-body' }),
      req('PUT rejected', '/api/v1/namespaces/default/configmaps/x', { method: 'PUT', body: '{}', difference: 'filter-403-body' }),
      req('GET allowed', '/api/v1/namespaces/default/configmaps'),
    ],
  },
  {
    name: '--accept-paths and --accept-hosts',
    args: () => ['--accept-paths=^/api/v1/namespaces/default', '--accept-hosts=^example\\.com$'],
    cases: [
      req('accepted host and path', '/api/v1/namespaces/default/pods', { headers: { Host: 'example.com:8001' } }),
      req('localhost no longer accepted', '/api/v1/namespaces/default/pods', { difference: 'filter-403-body' }),
      req('path outside accept-paths', '/api', { headers: { Host: 'example.com' }, difference: 'filter-403-body' }),
    ],
  },
  {
    name: 'empty --accept-hosts rejects everything; empty --reject-paths rejects nothing',
    args: () => ['--accept-hosts=', '--reject-paths='],
    cases: [req('everything rejected', '/api', { difference: 'filter-403-body' })],
  },
  {
    name: '--reject-paths= with defaults otherwise',
    args: () => ['--reject-paths='],
    cases: [req('exec allowed', '/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p/exec'), req('list allowed', '/api')],
  },
  {
    name: '--www and --www-prefix',
    args: (_c, extra) => ['--www', extra.www, '--www-prefix=/s/'],
    cases: [
      req('directory index.html', '/s/'),
      req('a file', '/s/hello.txt'),
      req('a listing', '/s/sub/'),
      req('directory without slash redirects', '/s/sub'),
      req('index.html redirects to ./', '/s/index.html'),
      req('missing file 404', '/s/nope.txt'),
      req('static ignores Host', '/s/hello.txt', { headers: { Host: 'evil.example' } }),
      req('static serves POST', '/s/hello.txt', { method: 'POST' }),
      req('Range request', '/s/hello.txt', { headers: { Range: 'bytes=0-4' } }),
      req('prefix without slash redirects', '/s'),
      req('API still served', '/api'),
    ],
  },
  {
    name: '--disable-filter',
    args: () => ['--disable-filter'],
    cases: [req('exec allowed', '/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p/exec'), req('any Host allowed', '/api', { headers: { Host: 'evil.example' } })],
  },
  {
    name: '--append-server-path',
    args: (cluster) => ['-s', `${cluster.api.url}/prefix`, '--append-server-path'],
    cases: [req('server path prepended', '/api/v1/namespaces/default/pods'), req('root gets the prefix', '/')],
  },
  {
    name: 'server path without --append-server-path is dropped',
    args: (cluster) => ['-s', `${cluster.api.url}/prefix`],
    cases: [req('path dropped', '/api/v1/namespaces/default/pods')],
  },
  {
    name: 'impersonation flags',
    args: () => ['--as=dave', '--as-group=g1', '--as-group=g2', '--as-uid=u-1'],
    cases: [
      req('impersonation added', '/api/v1/namespaces/default/pods'),
      req('client Impersonate-User wins', '/api/v1/namespaces/default/pods', { headers: { 'Impersonate-User': 'erin' } }),
      req('client groups come first', '/api/v1/namespaces/default/pods', { headers: { 'Impersonate-Group': 'mine' } }),
    ],
  },
  {
    name: '--token with a kubeconfig tokenFile',
    kubeconfig: 'token-file',
    args: () => ['--token', SECRETS.flagToken],
    cases: [req('which token is sent', '/api/v1/namespaces/default/pods', { difference: 'token-precedence' })],
  },
  {
    name: '--keepalive, --request-timeout, -n and --disable-compression',
    args: () => ['--keepalive=30s', '--request-timeout=1s', '-n', 'kube-system', '--disable-compression'],
    cases: [req('list pods', '/api/v1/namespaces/default/pods'), req('version', '/version')],
  },
  {
    name: '--unix-socket',
    unix: true,
    args: (_c, extra) => ['-u', extra.socket],
    cases: [req('list over the socket', '/api/v1/namespaces/default/pods'), req('filter applies on the socket', '/api/v1/namespaces/default/pods/foo/exec', { difference: 'filter-403-body' })],
  },
];

t.test('kubegate and kubectl proxy answer the same', async (t) => {
  const backend = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'x-backend-path': request.url ?? '' });
    response.end('backend page\n');
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.teardown(() => backend.close());
  const cluster = await startTestCluster(t, {
    proxyBackends: { 'default/web': `http://127.0.0.1:${(backend.address() as AddressInfo).port}` },
    routes: [
      {
        path: '/api/v1/redirect-me',
        handler: (_request, response) => {
          response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere', 'content-length': 0 });
          response.end();
        },
      },
    ],
  });
  seedDemoCluster(cluster.api.store);
  const www = join(cluster.dir, 'www');
  mkdirSync(join(www, 'sub'), { recursive: true });
  writeFileSync(join(www, 'index.html'), '<h1>index</h1>\n');
  writeFileSync(join(www, 'hello.txt'), 'hello, static world\n');
  writeFileSync(join(www, 'sub', 'b.txt'), 'b\n');
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };

  let total = 0;
  let deliberate = 0;
  let reachedUpstream = 0;
  for (const config of CONFIGS) {
    const kubeconfig = cluster.kubeconfig(config.kubeconfig ?? 'cert');
    const sockets = { kubectl: join(cluster.dir, `kubectl-${total}.sock`), kubegate: join(cluster.dir, `kubegate-${total}.sock`) };
    const portArgs = config.unix ? [] : ['--port=0'];
    const kubectl = await startKubectlProxy(t, ['--kubeconfig', kubeconfig, ...portArgs, ...config.args(cluster, { www, socket: sockets.kubectl })], { env });
    const kubegate = await startKubegate(t, ['--kubeconfig', kubeconfig, ...portArgs, ...config.args(cluster, { www, socket: sockets.kubegate })], { env });

    for (const testCase of config.cases) {
      total++;
      const request =
        testCase.raw ??
        buildRawRequest(testCase.method ?? 'GET', testCase.target, { ...UA, ...testCase.headers }, testCase.body ?? '');
      const run = async (proxy: RunningProxy, socket: string | undefined): Promise<View> => {
        testCase.reset?.(cluster);
        cluster.api.requests.clear();
        const response = await send(proxy, socket, request);
        return view(response, [...cluster.api.requests.all]);
      };
      const expected = await run(kubectl, config.unix ? sockets.kubectl : undefined);
      const actual = await run(kubegate, config.unix ? sockets.kubegate : undefined);
      const label = `${config.name}: ${testCase.name} (${testCase.method ?? 'GET'} ${testCase.target})`;

      switch (testCase.difference) {
        case undefined:
          t.same(actual, expected, label);
          if (expected.upstream.length > 0) reachedUpstream++;
          break;
        case 'filter-403-body': {
          deliberate++;
          t.equal(expected.status, 403, `${label}: kubectl rejects`);
          t.equal(expected.body, 'Forbidden\n', `${label}: kubectl's plain body`);
          t.equal(actual.status, 403, `${label}: kubegate rejects`);
          if (wantsPlainTextError(testCase.method ?? 'GET', testCase.target)) {
            // A discovery document client-go reads raw: the message as text, which kubectl prints (issue 16).
            t.equal(actual.contentType, 'text/plain; charset=utf-8', `${label}: kubegate's text body`);
            t.match(actual.body, /^request rejected by kubegate.*--(reject|accept)-.*\n$/, `${label}: names the rule`);
          } else {
            t.equal(actual.contentType, 'application/json', `${label}: kubegate's Status body`);
            t.match(JSON.parse(actual.body) as unknown, { kind: 'Status', reason: 'Forbidden', code: 403, message: /--(reject|accept)-/ }, `${label}: names the rule`);
          }
          t.same(actual.upstream, [], `${label}: nothing reached the API server`);
          t.same(expected.upstream, [], `${label}: nothing reached the API server (kubectl)`);
          break;
        }
        case 'ipv6-host':
          deliberate++;
          t.equal(expected.status, 403, `${label}: kubectl rejects [::1]:PORT (kubernetes#77496)`);
          t.equal(actual.status, 200, `${label}: kubegate accepts it`);
          break;
        case 'strict-host-port':
          deliberate++;
          t.equal(expected.status, 200, `${label}: kubectl accepts localhost:abc as localhost`);
          t.equal(actual.status, 403, `${label}: kubegate rejects a Host whose port is not a number`);
          break;
        case 'token-precedence':
          deliberate++;
          t.equal(expected.upstream[0]?.headers.authorization, `Bearer ${SECRETS.userToken}`, `${label}: kubectl sends the file's token`);
          t.equal(actual.upstream[0]?.headers.authorization, `Bearer ${SECRETS.flagToken}`, `${label}: kubegate sends --token`);
          break;
        default: {
          const unreachable: never = testCase.difference;
          throw new Error(`unknown difference ${String(unreachable)}`);
        }
      }
    }
    await Promise.all([kubectl.stop(), kubegate.stop()]);
  }
  t.ok(total >= 100, `the corpus has ${total} requests (${deliberate} of them deliberate differences)`);
  // Guard against a comparison that compares nothing: most cases must have reached the API server.
  t.ok(reachedUpstream >= 60, `${reachedUpstream} requests were compared on what reached the API server`);
  t.comment(`differential corpus: ${total} requests over ${CONFIGS.length} flag sets; ${deliberate} deliberate differences; ${reachedUpstream} compared upstream`);
});

/** Headers of an upgrade request compared upstream: the tunnel must carry the client's verbatim, credentials added. */
const UPGRADE_HEADERS = [
  'host',
  'authorization',
  'impersonate-user',
  'impersonate-group',
  'user-agent',
  'connection',
  'upgrade',
  'x-stream-protocol-version',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'x-custom',
];

interface UpgradeCase {
  readonly name: string;
  readonly request: (pod: string) => string;
  /** Bytes to send after a 101 that must come back (SPDY echo). */
  readonly echo?: boolean;
  readonly rejectedByFilter?: boolean;
}

const spdy = (path: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: diff-client/1.0\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n${extra}\r\n`;
const websocket = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: diff-client/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

const UPGRADE_CASES: readonly UpgradeCase[] = [
  { name: 'SPDY port-forward', request: (pod) => spdy(`/api/v1/namespaces/default/pods/${pod}/portforward`), echo: true },
  { name: 'SPDY port-forward with a query and custom header', request: (pod) => spdy(`/api/v1/namespaces/default/pods/${pod}/portforward?ports=8080`, 'X-Custom: kept\r\n'), echo: true },
  { name: 'WebSocket port-forward', request: (pod) => websocket(`/api/v1/namespaces/default/pods/${pod}/portforward?ports=80`, 'Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n') },
  { name: 'upgrade to a missing pod: the API server 404 is relayed', request: () => spdy('/api/v1/namespaces/default/pods/missing/portforward') },
  { name: 'Connection: keep-alive, Upgrade', request: (pod) => spdy(`/api/v1/namespaces/default/pods/${pod}/portforward`).replace('Connection: Upgrade', 'Connection: keep-alive, Upgrade'), echo: true },
  { name: 'SPDY exec is rejected by the filter', request: (pod) => spdy(`/api/v1/namespaces/default/pods/${pod}/exec?command=ls`), rejectedByFilter: true },
  { name: 'WebSocket exec is rejected by the filter', request: (pod) => websocket(`/api/v1/namespaces/default/pods/${pod}/exec?command=ls`, 'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n'), rejectedByFilter: true },
  { name: 'upgrade with a foreign Host is rejected', request: (pod) => spdy(`/api/v1/namespaces/default/pods/${pod}/portforward`).replace('Host: localhost', 'Host: evil.example'), rejectedByFilter: true },
];

t.test('upgrade requests: kubegate and kubectl proxy give the same status and upstream request', async (t) => {
  const cluster = await startTestCluster(t);
  const { podName } = seedDemoCluster(cluster.api.store);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const args = ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--as=dave'];
  const kubectl = await startKubectlProxy(t, args, { env });
  const kubegate = await startKubegate(t, args, { env });

  const exchange = async (proxy: RunningProxy, upgrade: UpgradeCase) => {
    cluster.api.requests.clear();
    const tunnel = await openUpgrade(proxy.port, upgrade.request(podName));
    let echoed: string | undefined;
    if (tunnel.status === 101 && upgrade.echo) echoed = (await echoOnce(tunnel, Buffer.from('spdy-bytes'))).toString();
    tunnel.socket.destroy();
    const upstream = cluster.api.requests.all.map((entry) => {
      const headers: Record<string, string | undefined> = {};
      for (const name of UPGRADE_HEADERS) headers[name] = RequestLog.header(entry, name);
      return { requestLine: `${entry.method} ${entry.url} HTTP/${entry.httpVersion}`, user: entry.user?.name, impersonatedBy: entry.impersonatedBy?.name, headers };
    });
    return { status: tunnel.status, echoed, upstream };
  };

  for (const upgrade of UPGRADE_CASES) {
    const expected = await exchange(kubectl, upgrade);
    const actual = await exchange(kubegate, upgrade);
    if (upgrade.rejectedByFilter) {
      // Deliberate difference 2: the same 403, with a Status body naming the rule instead of "Forbidden".
      t.equal(expected.status, 403, `${upgrade.name}: kubectl rejects`);
      t.equal(actual.status, 403, `${upgrade.name}: kubegate rejects`);
      t.same(actual.upstream, [], `${upgrade.name}: nothing reached the API server`);
      t.same(expected.upstream, [], `${upgrade.name}: nothing reached the API server (kubectl)`);
      continue;
    }
    t.same(actual, expected, upgrade.name);
    t.ok(expected.upstream.length === 1, `${upgrade.name}: the request reached the API server`);
  }
});
