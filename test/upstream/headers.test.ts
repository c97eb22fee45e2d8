import t from 'tap';
import { Socket } from 'node:net';
import { IncomingMessage } from 'node:http';
import { decideIdentity } from '../../src/upstream/identity.js';
import { buildResponseHeaders, buildUpstreamHeaders, connectionListed } from '../../src/upstream/headers.js';
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
