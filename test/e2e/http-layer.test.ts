import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster } from '../fixtures/cluster.js';
import { rawRequest, requireKubectl, startKubectlProxy, startKubegate, type RawResponse, type RunningProxy } from '../fixtures/processes.js';

// What the HTTP layer answers before (and around) routing, byte for byte where it can be: the real
// `kubectl proxy` (Go 1.23's net/http) and kubegate get the same raw bytes; the status line (its
// reason text included), the headers Go sets, the body and what reached the API server must match.

requireKubectl();

/** Where kubegate keeps a difference on purpose (README, "Differences"). */
type Difference =
  /** Node's parser rejects what Go's reads; kubegate cannot read it and answers Go's plain 400. */
  | 'node-parser-stricter'
  /** kubegate answers a filter rejection with a Status naming the rule; kubectl with `Forbidden\n`. */
  | 'filter-403-body';

interface Case {
  readonly name: string;
  readonly raw: string;
  readonly difference?: Difference;
}

interface View {
  readonly statusLine: string;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
  readonly upstream: readonly string[];
}

/** The headers Go's answers carry (Date and Content-Length vary or are Go's buffering choice, compared where they are fixed). */
const COMPARED = ['content-type', 'connection', 'location', 'x-content-type-options', 'content-length'];

const GET = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: layer/1.0\r\n${extra}Connection: close\r\n\r\n`;
const POST = (extra: string, body = ''): string =>
  `POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nUser-Agent: layer/1.0\r\nConnection: close\r\n${extra}\r\n${body}`;

const CASES: readonly Case[] = [
  { name: 'garbage request line', raw: 'GARBAGE\r\n\r\n' },
  { name: 'request line without a version', raw: 'GET /api\r\nHost: localhost\r\n\r\n' },
  { name: 'request line with a tab', raw: 'GET\t/api HTTP/1.1\r\nHost: localhost\r\n\r\n' },
  { name: 'header line without a colon', raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n' },
  { name: 'space before the colon', raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nX-Foo : bar\r\n\r\n' },
  { name: 'bad method token', raw: 'G(T /api HTTP/1.1\r\nHost: localhost\r\n\r\n' },
  { name: 'unknown method token', raw: 'FOO /api HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', difference: 'node-parser-stricter' },
  { name: 'HTTP/2.0 request line', raw: 'GET /api HTTP/2.0\r\nHost: localhost\r\n\r\n' },
  { name: 'HTTP/1.2 request line', raw: 'GET /api HTTP/1.2\r\nHost: localhost\r\nConnection: close\r\n\r\n', difference: 'node-parser-stricter' },
  { name: 'Transfer-Encoding: gzip', raw: POST('Transfer-Encoding: gzip\r\n') },
  { name: 'Transfer-Encoding: gzip, chunked', raw: POST('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding: chunked twice', raw: POST('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n') },
  // Go drops the Content-Length and reads the chunks; Node refuses the pair (a smuggling vector).
  { name: 'Transfer-Encoding and Content-Length', raw: POST('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', '0\r\n\r\n'), difference: 'node-parser-stricter' },
  { name: 'Content-Length and Transfer-Encoding', raw: POST('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), difference: 'node-parser-stricter' },
  { name: 'Transfer-Encoding: gzip and Content-Length', raw: POST('Transfer-Encoding: gzip\r\nContent-Length: 5\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding: chunked, identity', raw: POST('Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding: xchunked', raw: POST('Transfer-Encoding: xchunked\r\n', '0\r\n\r\n') },
  { name: 'a signed Content-Length', raw: POST('Content-Length: +2\r\n', '{}') },
  { name: 'obs-fold continuation line', raw: GET('/api', 'X-Foo: a\r\n b\r\n'), difference: 'node-parser-stricter' },
  { name: 'bare LF line ends', raw: 'GET /api HTTP/1.1\nHost: localhost\nConnection: close\n\n', difference: 'node-parser-stricter' },
  { name: 'no Host on HTTP/1.1', raw: 'GET /api HTTP/1.1\r\nUser-Agent: layer/1.0\r\n\r\n' },
  { name: 'no Host on an upgrade', raw: 'GET /api/v1/namespaces/default/pods/p/portforward HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' },
  { name: 'Host with a space', raw: 'GET /api HTTP/1.1\r\nHost: local host\r\n\r\n' },
  { name: 'Host with user info', raw: 'GET /api HTTP/1.1\r\nHost: user@localhost\r\n\r\n' },
  { name: 'two Host headers', raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nHost: evil\r\n\r\n' },
  { name: 'oversized head', raw: GET('/api', `X-Big: ${'a'.repeat((1 << 20) + 65536)}\r\n`) },
  { name: 'empty header name', raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\n: nameless\r\n\r\n' },
  { name: 'control byte in a header value', raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nX-Foo: a\x01b\r\n\r\n' },
  { name: 'space before the colon after a broken line', raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nX-Foo : bar\r\nX(y: z\r\n\r\n' },
  { name: 'Expect other than 100-continue', raw: GET('/api', 'Expect: something\r\n') },
  { name: 'HTTP/2.0 without a Host', raw: 'GET /api HTTP/2.0\r\n\r\n' },
  { name: 'OPTIONS *', raw: 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' },
  { name: 'GET *', raw: 'GET * HTTP/1.1\r\nHost: localhost\r\n\r\n' },
  { name: 'absolute-form target with no path', raw: GET('http://localhost:8001') },
  { name: 'absolute-form target with a query and no path', raw: GET('http://localhost:8001?x=1') },
  { name: 'malformed escape in the path', raw: GET('/api/x%zzy') },
  { name: 'escape decoding to invalid UTF-8 is forwarded', raw: GET('/api/v1/namespaces/%FF/pods') },
  { name: 'truncated UTF-8 escape is forwarded', raw: GET('/api/v1/namespaces/%E2%82/pods?limit=1') },
  { name: 'sniffed HTML', raw: GET('/s/page') },
  { name: 'sniffed text', raw: GET('/s/notes') },
  { name: 'sniffed PNG', raw: GET('/s/image') },
  { name: 'sniffed binary', raw: GET('/s/blob') },
  { name: 'unknown extension is sniffed', raw: GET('/s/data.unknownext') },
  { name: 'a file named like an extension is sniffed', raw: GET('/s/json') },
];

/** The --reject-paths cases: an invalid-UTF-8 namespace is still a namespace to the filter. */
const FILTER_CASES: readonly Case[] = [
  { name: '%FF namespace secrets are rejected', raw: GET('/api/v1/namespaces/%FF/secrets'), difference: 'filter-403-body' },
  { name: '%C0%AF namespace secrets are rejected', raw: GET('/api/v1/namespaces/%C0%AF/secrets/x'), difference: 'filter-403-body' },
  { name: '%FF namespace pods are forwarded', raw: GET('/api/v1/namespaces/%FF/pods') },
];

function statusLineOf(response: RawResponse): string {
  return response.raw.split('\r\n')[0] ?? '';
}

function view(response: RawResponse, upstream: readonly string[]): View {
  const headers: Record<string, string | undefined> = {};
  for (const name of COMPARED) headers[name] = response.headers.get(name)?.[0];
  return { statusLine: statusLineOf(response), headers, body: response.body.toString('latin1'), upstream };
}

/** What the API server received: cleared before each request, read after it. */
interface Upstream {
  clear(): void;
  seen(): string[];
}

async function compareAll(t: Test, cases: readonly Case[], kubectl: RunningProxy, kubegate: RunningProxy, upstream: Upstream): Promise<void> {
  for (const testCase of cases) {
    const run = async (proxy: RunningProxy): Promise<View> => {
      upstream.clear();
      const response = await rawRequest(proxy.port, testCase.raw);
      return view(response, upstream.seen());
    };
    const expected = await run(kubectl);
    const actual = await run(kubegate);
    switch (testCase.difference) {
      case undefined:
        t.same(actual, expected, testCase.name);
        break;
      case 'node-parser-stricter':
        t.equal(actual.statusLine, 'HTTP/1.1 400 Bad Request', `${testCase.name}: kubegate refuses what Node cannot read (kubectl: ${expected.statusLine})`);
        t.equal(actual.body, '400 Bad Request', `${testCase.name}: Go's plain text`);
        t.same(actual.upstream, [], `${testCase.name}: nothing reached the API server`);
        break;
      case 'filter-403-body':
        t.equal(expected.statusLine, 'HTTP/1.1 403 Forbidden', `${testCase.name}: kubectl rejects`);
        t.equal(actual.statusLine, 'HTTP/1.1 403 Forbidden', `${testCase.name}: kubegate rejects`);
        t.same([actual.upstream, expected.upstream], [[], []], `${testCase.name}: nothing reached the API server`);
        break;
      default: {
        const unreachable: never = testCase.difference;
        throw new Error(`unknown difference ${String(unreachable)}`);
      }
    }
  }
}

t.test('the HTTP layer answers as Go net/http does', async (t) => {
  const cluster = await startTestCluster(t);
  const www = join(cluster.dir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'page'), '  <!DOCTYPE html><p>hi</p>\n');
  writeFileSync(join(www, 'notes'), 'plain words\n');
  writeFileSync(join(www, 'image'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  writeFileSync(join(www, 'blob'), Buffer.from([0, 1, 2, 3]));
  writeFileSync(join(www, 'data.unknownext'), '<html><body>x</body></html>');
  writeFileSync(join(www, 'json'), '<?xml version="1.0"?><a/>');
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const upstream: Upstream = {
    clear: () => cluster.api.requests.clear(),
    seen: () => cluster.api.requests.all.map((entry) => `${entry.method} ${entry.url}`),
  };

  const args = ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--www', www, '--www-prefix=/s/'];
  const kubectl = await startKubectlProxy(t, args, { env });
  const kubegate = await startKubegate(t, args, { env });
  await compareAll(t, CASES, kubectl, kubegate, upstream);
  await Promise.all([kubectl.stop(), kubegate.stop()]);

  const filterArgs = ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--reject-paths=^/api/v1/namespaces/[^/]*/secrets'];
  const filteredKubectl = await startKubectlProxy(t, filterArgs, { env });
  const filteredKubegate = await startKubegate(t, filterArgs, { env });
  await compareAll(t, FILTER_CASES, filteredKubectl, filteredKubegate, upstream);
});
