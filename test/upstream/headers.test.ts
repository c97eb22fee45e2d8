import t from 'tap';
import { Socket } from 'node:net';
import { IncomingMessage } from 'node:http';
import { decideIdentity } from '../../src/upstream/identity.js';
import { answerIsGzip, askForGzip, buildResponseHeaders, buildUpstreamHeaders, canonicalHeaderName, connectionListed, responseHead } from '../../src/upstream/headers.js';
import type { HeaderMap } from '../../src/upstream/identity.js';
import type { UpstreamTarget } from '../../src/upstream/target.js';

const target: UpstreamTarget = { origin: 'https://127.0.0.1:6443', host: '127.0.0.1:6443', basePath: '', tls: true };

function fakeRequest(headers: Record<string, string | string[]>, remoteAddress = '127.0.0.1'): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const request = new IncomingMessage(socket);
  request.headers = headers;
  request.rawHeaders = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).flatMap((one) => [name, one]));
  return request;
}

/** The headers forwardRequest builds for a request, with kubegate's credential when it has one. */
function upstreamHeaders(request: IncomingMessage, authorization?: string): ReturnType<typeof buildUpstreamHeaders> {
  const identity = decideIdentity(request.rawHeaders, { impersonate: undefined, userAgent: 'kubegate/test', dropConnectionListed: true });
  return buildUpstreamHeaders(request, target, identity.headers(authorization));
}

t.test('hop-by-hop headers and those named in Connection are not forwarded', async (t) => {
  const headers = upstreamHeaders(
    fakeRequest({
      connection: 'close, X-Foo',
      'x-foo': 'dropped',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic c2VjcmV0',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      te: 'gzip',
      expect: '100-continue',
      accept: 'application/json',
      'user-agent': 'curl/8',
    }),
  );
  t.same(Object.keys(headers).sort(), ['accept', 'host', 'user-agent', 'x-forwarded-for']);
  t.equal(headers['user-agent'], 'curl/8');
});

t.test('TE: trailers is kept, as in Go, also when listed with other codings', async (t) => {
  t.equal(upstreamHeaders(fakeRequest({ te: 'trailers' })).te, 'trailers');
  t.equal(upstreamHeaders(fakeRequest({ te: 'deflate, Trailers' })).te, 'trailers');
  t.equal(upstreamHeaders(fakeRequest({ te: 'deflate' })).te, undefined);
});

t.test('an X-Forwarded-For named in Connection is dropped: only the client address is sent', async (t) => {
  const headers = upstreamHeaders(fakeRequest({ connection: 'X-Forwarded-For', 'x-forwarded-for': '6.6.6.6' }));
  t.equal(headers['x-forwarded-for'], '127.0.0.1');
});

t.test('Host is the server host and X-Forwarded-For is appended', async (t) => {
  const headers = upstreamHeaders(fakeRequest({ host: 'localhost:8001', 'x-forwarded-for': '1.2.3.4' }, '::ffff:127.0.0.1'));
  t.equal(headers.host, '127.0.0.1:6443');
  t.equal(headers['x-forwarded-for'], '1.2.3.4, 127.0.0.1');
});

t.test('a request without User-Agent gets kubegate\'s', async (t) => {
  t.equal(upstreamHeaders(fakeRequest({}))['user-agent'], 'kubegate/test');
});

t.test("the client's Authorization and User-Agent pass through", async (t) => {
  const headers = upstreamHeaders(fakeRequest({ authorization: 'Bearer mine', 'user-agent': 'kubectl/v1.32' }), 'Bearer cfg');
  t.equal(headers.authorization, 'Bearer mine');
  t.equal(headers['user-agent'], 'kubectl/v1.32');
});

t.test('a client cannot strip kubegate\'s identity by naming it in Connection', async (t) => {
  const headers = upstreamHeaders(fakeRequest({ connection: 'Authorization, User-Agent', authorization: 'Bearer mine', 'user-agent': 'curl/8' }), 'Bearer cfg');
  t.equal(headers.authorization, 'Bearer cfg', 'the Connection-listed client Authorization is hop-by-hop; kubegate adds its own after');
  t.equal(headers['user-agent'], 'kubegate/test');
});

t.test('an empty User-Agent gets kubegate\'s and an empty Authorization gets the credential', async (t) => {
  const headers = upstreamHeaders(fakeRequest({ authorization: '', 'user-agent': '' }), 'Bearer cfg');
  t.equal(headers.authorization, 'Bearer cfg');
  t.equal(headers['user-agent'], 'kubegate/test');
});

t.test('response hop-by-hop headers are dropped, Set-Cookie and CORS kept', async (t) => {
  const headers = buildResponseHeaders({
    connection: 'X-Drop-Me',
    'x-drop-me': '1',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'set-cookie': ['a=1', 'b=2'],
    'access-control-allow-origin': '*',
    'content-type': 'application/json',
  });
  t.same(headers, { 'set-cookie': ['a=1', 'b=2'], 'access-control-allow-origin': '*', 'content-type': 'application/json' });
});

t.test('connectionListed lower-cases and splits the list', async (t) => {
  t.same([...(connectionListed('Keep-Alive, X-A,,x-b') ?? [])], ['keep-alive', 'x-a', 'x-b']);
  t.equal(connectionListed(undefined), undefined);
});

t.test('repeated request headers go upstream as separate lines, in order, none joined or dropped', async (t) => {
  const headers = upstreamHeaders(
    fakeRequest({ 'x-test': ['a', 'b'], accept: ['application/json', 'application/yaml'], 'content-type': ['text/plain', 'application/json'], cookie: ['a=1', 'b=2'], 'x-one': 'only' }),
  );
  t.same(headers['x-test'], ['a', 'b']);
  t.same(headers.accept, ['application/json', 'application/yaml']);
  t.same(headers['content-type'], ['text/plain', 'application/json'], 'Node keeps only the first Content-Type in request.headers; Go forwards both');
  t.same(headers.cookie, ['a=1', 'b=2'], 'not joined with "; "');
  t.equal(headers['x-one'], 'only', 'a single line stays a string');
});

t.test('lines of one header in different cases go as one header, in the order sent; Object member names are headers like any other', async (t) => {
  const headers = upstreamHeaders(fakeRequest({ 'X-Test': 'a', accept: '*/*', 'x-TEST': 'b', constructor: ['c1', 'c2'], toString: 't', hasOwnProperty: 'h' }));
  t.same(headers['x-test'], ['a', 'b']);
  t.same(headers.constructor, ['c1', 'c2']);
  t.equal(headers.tostring, 't');
  t.equal(headers.hasownproperty, 'h');
  t.same(Object.keys(headers), ['x-test', 'accept', 'constructor', 'tostring', 'hasownproperty', 'host', 'user-agent', 'x-forwarded-for']);
});

t.test('repeated Connection lines all name hop-by-hop headers', async (t) => {
  const headers = upstreamHeaders(fakeRequest({ connection: ['X-A', 'X-B'], 'x-a': '1', 'x-b': '2', 'x-c': '3' }));
  t.same(Object.keys(headers).sort(), ['host', 'user-agent', 'x-c', 'x-forwarded-for']);
});

t.test('gzip is asked for when the client sent no Accept-Encoding, as Go\'s Transport does', async (t) => {
  const plain: HeaderMap = { accept: 'application/json' };
  t.equal(askForGzip('GET', plain, false), true);
  t.equal(plain['accept-encoding'], 'gzip');
  const post: HeaderMap = {};
  t.equal(askForGzip('POST', post, false), true, 'any method but HEAD');
  const empty: HeaderMap = { 'accept-encoding': '' };
  t.equal(askForGzip('GET', empty, false), true, 'an empty line counts as none (Header.Get)');
  t.same(empty['accept-encoding'], ['', 'gzip'], 'the client line stays, gzip follows it');
});

t.test('gzip is not asked for: the client\'s own Accept-Encoding, HEAD, Range, --disable-compression', async (t) => {
  const own: HeaderMap = { 'accept-encoding': 'identity' };
  t.equal(askForGzip('GET', own, false), false);
  t.equal(own['accept-encoding'], 'identity', 'passed through untouched');
  const cases: Array<[string, HeaderMap, boolean]> = [
    ['HEAD', {}, false],
    ['GET', { range: 'bytes=0-10' }, false],
    ['GET', { range: ['bytes=0-10', 'bytes=20-30'] }, false],
    ['GET', {}, true],
  ];
  for (const [method, headers, disabled] of cases) {
    t.equal(askForGzip(method, headers, disabled), false, `${method} ${JSON.stringify(headers)} disabled=${disabled}`);
    t.equal(headers['accept-encoding'], undefined);
  }
});

t.test('an answer is inflated when its first Content-Encoding is gzip (any case) and it has a body', async (t) => {
  t.equal(answerIsGzip(200, { 'content-encoding': 'gzip' }), true);
  t.equal(answerIsGzip(200, { 'content-encoding': 'GZip' }), true);
  t.equal(answerIsGzip(500, { 'content-encoding': ['gzip', 'br'] }), true);
  t.equal(answerIsGzip(200, { 'content-encoding': 'br' }), false);
  t.equal(answerIsGzip(200, {}), false);
  t.equal(answerIsGzip(204, { 'content-encoding': 'gzip' }), false, 'no body: headers pass as sent');
  t.equal(answerIsGzip(304, { 'content-encoding': 'gzip' }), false);
  t.equal(answerIsGzip(200, { 'content-encoding': 'gzip', 'content-length': '0' }), false);
});

t.test('response header names take Go\'s canonical form', async (t) => {
  const cases: Array<[string, string]> = [
    ['content-type', 'Content-Type'],
    ['audit-id', 'Audit-Id'],
    ['x-kubernetes-pf-flowschema-uid', 'X-Kubernetes-Pf-Flowschema-Uid'],
    ['www-authenticate', 'Www-Authenticate'],
    ['CONTENT-LENGTH', 'Content-Length'],
    ['x--a', 'X--A'],
    ['x_y-z', 'X_y-Z'],
    ['etag', 'Etag'],
    ['a b', 'a b'],
    ['x-\u00e9t\u00e9', 'x-\u00e9t\u00e9'],
  ];
  for (const [name, canonical] of cases) t.equal(canonicalHeaderName(name), canonical, name);
});

t.test('the response head: canonical names, sorted, repeated lines kept as a list', async (t) => {
  const head = responseHead({ 'set-cookie': ['a=1', 'b=2'], 'content-type': 'application/json', 'audit-id': 'x' });
  t.same(Object.entries(head), [
    ['Audit-Id', 'x'],
    ['Content-Type', 'application/json'],
    ['Set-Cookie', ['a=1', 'b=2']],
  ]);
});
