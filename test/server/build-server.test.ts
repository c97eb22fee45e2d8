import t from 'tap';
import { restConfig } from '../fixtures/kubeconfig/env.js';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Teardown } from '../fixtures/teardown.js';
import type { Credentials } from '../../src/auth/credentials.js';
import { noCredentials } from '../fixtures/credentials.js';
import { waitUntil } from '../fixtures/processes.js';
import { KubegateError } from '../../src/errors.js';
import type { RestConfig } from '../../src/kubeconfig/rest-config.js';
import { createLogger } from '../../src/log.js';
import { completeOptions, type ProxyFlags } from '../../src/options/complete.js';
import { assembleServer, buildServer, buildUpstream } from '../../src/server/build-server.js';
import { decideRequest, type Decision, type RequestFacts } from '../../src/server/decide.js';
import { listen } from '../../src/server/listen.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A plain-HTTP upstream that records what it receives; `respond` decides the answer. */
async function startUpstream(
  t: Teardown,
  respond: (req: IncomingMessage, res: import('node:http').ServerResponse, body: string) => void = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  },
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      respond(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}


function restConfigFor(server: string, overrides: Partial<RestConfig> = {}): RestConfig {
  return { ...restConfig(server, { kind: 'none' }), ...overrides };
}

const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    logLines.push(chunk.toString());
    callback();
  },
});

async function startProxy(
  t: Teardown,
  upstream: string,
  flags: ProxyFlags = {},
  extra: { credentials?: Credentials; restConfig?: Partial<RestConfig>; logTo?: Writable } = {},
): Promise<string> {
  const options = completeOptions({ port: 0, ...flags }, {}, process.cwd());
  const kubegate = buildServer(options.server, {
    restConfig: restConfigFor(upstream, extra.restConfig),
    credentials: extra.credentials ?? noCredentials,
    logger: createLogger({ verbosity: options.verbosity, destination: extra.logTo ?? logSink }),
  });
  await kubegate.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => kubegate.shutdown(100));
  return `http://127.0.0.1:${(kubegate.app.server.address() as AddressInfo).port}`;
}

/** An upstream that answers every request with `body` 300 ms after it arrives (a request kept in flight). */
function startSlowUpstream(t: Teardown, body: string): ReturnType<typeof startUpstream> {
  return startUpstream(t, (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }, 300);
  });
}

/** A kubegate the test shuts down itself (no teardown), listening on a loopback port. */
async function startServerToShutDown(upstream: string): Promise<{ kubegate: ReturnType<typeof buildServer>; port: number }> {
  const options = completeOptions({ port: 0 }, {}, process.cwd());
  const kubegate = buildServer(options.server, {
    restConfig: restConfigFor(upstream),
    credentials: noCredentials,
    logger: createLogger({ verbosity: 0, destination: logSink }),
  });
  await kubegate.app.listen({ port: 0, host: '127.0.0.1' });
  return { kubegate, port: (kubegate.app.server.address() as AddressInfo).port };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Sends a raw request target (no URL normalisation on the way) and collects the answer. */
function send(base: string, method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path: target, headers: { host: `localhost:${url.port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('forwards the path and raw query untouched and relays status, headers and body', async (t) => {
  const upstream = await startUpstream(t, (_req, res) => {
    res.writeHead(207, { 'content-type': 'application/json', 'x-upstream': 'yes', connection: 'X-Drop-Me', 'x-drop-me': '1' });
    res.end('{"from":"upstream"}');
  });
  const proxy = await startProxy(t, upstream.url);
  const answer = await send(proxy, 'GET', '/api/v1/namespaces/d/configmaps/a%2Fb?labelSelector=a%3Db&x=%zz');
  t.equal(answer.status, 207);
  t.equal(answer.body, '{"from":"upstream"}');
  t.equal(answer.headers['x-upstream'], 'yes');
  t.equal(answer.headers['x-drop-me'], undefined, 'headers named in the upstream Connection are dropped');
  t.equal(upstream.seen[0]?.url, '/api/v1/namespaces/d/configmaps/a%2Fb?labelSelector=a%3Db&x=%zz');
  t.equal(upstream.seen[0]?.headers.host, new URL(upstream.url).host, 'Host is the server host');
  t.equal(upstream.seen[0]?.headers['x-forwarded-for'], '127.0.0.1');
});

t.test('request bodies stream upstream with their content type', async (t) => {
  const upstream = await startUpstream(t);
  const proxy = await startProxy(t, upstream.url);
  const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';
  const answer = await send(proxy, 'POST', '/api/v1/namespaces/d/configmaps', { 'content-type': 'application/yaml' }, yaml);
  t.equal(answer.status, 200);
  t.equal(upstream.seen[0]?.body, yaml);
  t.equal(upstream.seen[0]?.headers['content-type'], 'application/yaml');
});

t.test('the default filter rejects exec with a Status body that names the rule', async (t) => {
  const upstream = await startUpstream(t);
  const proxy = await startProxy(t, upstream.url);
  const answer = await send(proxy, 'POST', '/api/v1/namespaces/d/pods/p/exec?command=ls');
  t.equal(answer.status, 403);
  const status = JSON.parse(answer.body) as { kind: string; reason: string; code: number; message: string };
  t.equal(status.kind, 'Status');
  t.equal(status.reason, 'Forbidden');
  t.equal(status.code, 403);
  t.match(status.message, /--reject-paths/);
  t.equal(upstream.seen.length, 0, 'nothing reached the API server');
});

t.test('a Host outside --accept-hosts is rejected (DNS rebinding)', async (t) => {
  const upstream = await startUpstream(t);
  const proxy = await startProxy(t, upstream.url);
  const answer = await send(proxy, 'GET', '/api/v1/pods', { host: 'evil.example:8001' });
  t.equal(answer.status, 403);
  t.match(answer.body, /--accept-hosts/);
  t.equal(upstream.seen.length, 0);
});

t.test('unclean paths get Go ServeMux 301s before the filter', async (t) => {
  const upstream = await startUpstream(t);
  const proxy = await startProxy(t, upstream.url);
  const get = await send(proxy, 'GET', '/api//v1/namespaces/d/pods/p/exec?x=1');
  t.equal(get.status, 301);
  t.equal(get.headers.location, '/api/v1/namespaces/d/pods/p/exec?x=1');
  t.equal(get.body, '<a href="/api/v1/namespaces/d/pods/p/exec?x=1">Moved Permanently</a>.\n\n');
  const post = await send(proxy, 'POST', '/api/./v1/pods');
  t.equal(post.status, 301);
  t.equal(post.body, '', 'no body for methods other than GET');
  t.equal(upstream.seen.length, 0);
});

t.test('paths outside the API prefix are 404 page not found', async (t) => {
  const upstream = await startUpstream(t);
  const proxy = await startProxy(t, upstream.url, { apiPrefix: '/k8s/' });
  const answer = await send(proxy, 'GET', '/api/v1/pods');
  t.equal(answer.status, 404);
  t.equal(answer.body, '404 page not found\n');
  t.equal(answer.headers['x-content-type-options'], 'nosniff');
  const stripped = await send(proxy, 'GET', '/k8s/api/v1/pods');
  t.equal(stripped.status, 200);
  t.equal(upstream.seen[0]?.url, '/api/v1/pods', 'the prefix is stripped before forwarding');
});

t.test('an unreachable API server answers 502 with a Status naming the cause and server', async (t) => {
  const closed = await startUpstream(t);
  const url = closed.url;
  closed.server.close();
  closed.server.closeAllConnections();
  await once(closed.server, 'close');
  const proxy = await startProxy(t, url);
  const answer = await send(proxy, 'GET', '/api/v1/pods');
  t.equal(answer.status, 502);
  const status = JSON.parse(answer.body) as { message: string; reason: string };
  t.equal(status.reason, 'ServiceUnavailable');
  t.match(status.message, url);
  t.match(status.message, /connection refused/);
  t.match(answer.headers['audit-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'an answer kubegate writes itself carries the request id too');
});

t.test('a credential that cannot be produced answers 500 with the cause and nothing is sent', async (t) => {
  const failing: Credentials = {
    ...noCredentials,
    authorization: () => {
      throw new KubegateError('KG_ERR_CREDENTIAL', 'cannot read token file /x/token: permission denied');
    },
  };
  // Credentials are only asked for over https (client-go rule); port 1 proves nothing was dialled first.
  const proxy = await startProxy(t, 'https://127.0.0.1:1', {}, { credentials: failing });
  const answer = await send(proxy, 'GET', '/api/v1/pods');
  t.equal(answer.status, 500);
  const status = JSON.parse(answer.body) as { message: string; reason: string };
  t.equal(status.reason, 'InternalError');
  t.equal(status.message, 'cannot read token file /x/token: permission denied');
  t.match(answer.headers['audit-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

t.test('Audit-Id: the id sent upstream comes back once, the API server\'s own when it answers with one, the client\'s when it sent one', async (t) => {
  const upstream = await startUpstream(t, (req, res) => {
    const own = req.url === '/api/v1/echo' ? { 'Audit-Id': 'from-the-server' } : {};
    res.writeHead(200, { 'content-type': 'application/json', ...own });
    res.end('{}');
  });
  const proxy = await startProxy(t, upstream.url);
  const fresh = await send(proxy, 'GET', '/api/v1/pods');
  t.match(fresh.headers['audit-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(upstream.seen[0]?.headers['audit-id'], fresh.headers['audit-id'], 'the API server saw the id the client got');
  const echoed = await send(proxy, 'GET', '/api/v1/echo');
  t.equal(echoed.headers['audit-id'], 'from-the-server', 'one line: the server\'s, not kubegate\'s as well');
  const chosen = await send(proxy, 'GET', '/api/v1/pods', { 'audit-id': 'client-chosen' });
  t.equal(upstream.seen[2]?.headers['audit-id'], 'client-chosen');
  t.equal(chosen.headers['audit-id'], 'client-chosen');
});

t.test('over http:// no credentials are asked for or sent (client-go rule)', async (t) => {
  const upstream = await startUpstream(t);
  let asked = 0;
  const counting: Credentials = { ...noCredentials, authorization: () => { asked++; return 'Bearer secret'; } };
  const proxy = await startProxy(t, upstream.url, {}, { credentials: counting });
  const answer = await send(proxy, 'GET', '/api/v1/pods');
  t.equal(answer.status, 200);
  t.equal(asked, 0);
  t.equal(upstream.seen[0]?.headers.authorization, undefined);
});

t.test('the credentials make their due file checks after an answer has gone out, not before', async (t) => {
  let finish: () => void = () => {};
  const upstream = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"items":[');
    finish = () => res.end(']}');
  });
  let rechecks = 0;
  const counting: Credentials = { ...noCredentials, recheck: () => void rechecks++ };
  const proxy = await startProxy(t, upstream.url, {}, { credentials: counting });
  const answer = send(proxy, 'GET', '/api/v1/pods');
  await waitUntil(() => upstream.seen.length === 1, 'the request reached the upstream');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(rechecks, 0, 'none while the answer is still under way');
  finish();
  t.equal((await answer).body, '{"items":[]}');
  await waitUntil(() => rechecks > 0, 'a recheck after the answer');
  t.equal(rechecks, 1, 'one recheck for the answer');
});

t.test('impersonation applies even over http://, as in client-go', async (t) => {
  const upstream = await startUpstream(t);
  const proxy = await startProxy(t, upstream.url, {}, { restConfig: { impersonate: { user: 'bob', groups: ['g1'], extra: {} } } });
  await send(proxy, 'GET', '/api/v1/pods', { 'impersonate-group': 'mine' });
  t.equal(upstream.seen[0]?.headers['impersonate-user'], 'bob');
  t.equal(upstream.seen[0]?.headers['impersonate-group'], 'mine, g1');
});

t.test('a watch is delivered event by event, not buffered', async (t) => {
  let pushEvent: ((line: string) => void) | undefined;
  const upstream = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    pushEvent = (line) => res.write(line);
  });
  const proxy = await startProxy(t, upstream.url);
  const url = new URL(proxy);
  const received: string[] = [];
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/api/v1/pods?watch=true', headers: { host: 'localhost' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  t.teardown(() => response.destroy());
  response.on('data', (chunk: Buffer) => received.push(chunk.toString()));
  while (!pushEvent) await new Promise((resolve) => setTimeout(resolve, 5));
  pushEvent('{"type":"ADDED"}\n');
  while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(received.join(''), '{"type":"ADDED"}\n', 'the first event arrives while the stream is still open');
  pushEvent('{"type":"MODIFIED"}\n');
  while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(received.join(''), '{"type":"ADDED"}\n{"type":"MODIFIED"}\n');
});

t.test('a client that disconnects cancels its upstream request', async (t) => {
  let upstreamClosed: Promise<unknown> | undefined;
  const upstream = await startUpstream(t, (req, res) => {
    res.writeHead(200);
    res.write('{}\n');
    upstreamClosed = once(req.socket, 'close');
  });
  const proxy = await startProxy(t, upstream.url);
  const url = new URL(proxy);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/api/v1/pods?watch=1', headers: { host: 'localhost' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  await once(response, 'data');
  response.destroy();
  while (!upstreamClosed) await new Promise((resolve) => setTimeout(resolve, 5));
  await upstreamClosed;
  t.pass('the upstream connection was closed after the client went away');
});

t.test('shutdown ends open watches cleanly', async (t) => {
  const upstream = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"ADDED"}\n');
  });
  const { kubegate, port } = await startServerToShutDown(upstream.url);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/pods?watch=true', headers: { host: 'localhost' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  while (chunks.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const ended = once(response, 'end');
  await kubegate.shutdown(2000);
  await ended;
  t.equal(Buffer.concat(chunks).toString(), '{"type":"ADDED"}\n', 'the client saw a clean end of the stream');
});

t.test('a request that arrives during shutdown (behind one in flight on the same connection) gets a 503 Status and the connection closes', async (t) => {
  const upstream = await startSlowUpstream(t, '{"kind":"Pod"}');
  const { kubegate, port } = await startServerToShutDown(upstream.url);
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const closed = once(socket, 'close');
  socket.write('GET /api/v1/namespaces/d/pods/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
  while (upstream.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const stopped = kubegate.shutdown(2000);
  socket.write('GET /api/v1/namespaces/d/pods/late HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await closed;
  await stopped;
  const answers = received.split(/(?=HTTP\/1\.1 )/);
  t.equal(answers.length, 2, 'two answers on the connection');
  t.match(answers[0], /^HTTP\/1\.1 200 OK\r\n[^]*\{"kind":"Pod"\}\r\n0\r\n\r\n$/, 'the request in flight finished');
  t.match(answers[1], /^HTTP\/1\.1 503 Service Unavailable\r\n/, 'the late one: 503');
  t.match(answers[1], /\r\nConnection: close\r\n/i, 'and the connection closes');
  t.match(answers[1], /"message":"kubegate is shutting down"/, 'a Status saying why');
  t.same(upstream.seen.map((seen) => seen.url), ['/api/v1/namespaces/d/pods/slow'], 'the late request never reached the API server');
});

t.test('shutdown with the listener opened as the command opens it (listen.ts, not fastify): no new connection is accepted, the request in flight finishes first', async (t) => {
  const upstream = await startSlowUpstream(t, '{"kind":"Pod","slow":true}');
  const options = completeOptions({ port: 0 }, {}, process.cwd());
  const kubegate = buildServer(options.server, { restConfig: restConfigFor(upstream.url), credentials: noCredentials, logger: createLogger({ verbosity: 0, destination: logSink }) });
  await kubegate.app.ready();
  const listening = await listen(kubegate.app.server, { kind: 'tcp', host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${listening.port ?? 0}`;
  const events: string[] = [];
  const inFlight = send(base, 'GET', '/api/v1/namespaces/d/pods/slow').then((answer) => {
    events.push('in-flight answered');
    return answer;
  });
  while (upstream.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const stopped = kubegate.shutdown(2000).then(() => events.push('shutdown done'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const late = await send(base, 'GET', '/api/v1/namespaces/d/pods/late').then(
    (answer) => `answered ${answer.status}`,
    (error: NodeJS.ErrnoException) => error.code,
  );
  t.equal(late, 'ECONNREFUSED', 'the listener is closed once shutdown starts');
  const answer = await inFlight;
  await stopped;
  t.equal(answer.status, 200);
  t.equal(answer.body, '{"kind":"Pod","slow":true}', 'the request in flight got its whole answer');
  t.same(events, ['in-flight answered', 'shutdown done'], 'shutdown waited for it');
});

t.test('a request handler that throws (a bug) costs that connection only: logged, dropped, and the next request is served', async (t) => {
  const upstream = await startUpstream(t);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const options = completeOptions({ port: 0 }, {}, process.cwd());
  const dependencies = { restConfig: restConfigFor(upstream.url), credentials: noCredentials, logger: createLogger({ verbosity: 0, destination: sink }) };
  const single = buildUpstream(options.server, dependencies);
  const routing = {
    decide: (method: string, target: string, facts: RequestFacts): Decision => {
      if (target.includes('boom')) throw new Error('decide blew up');
      return decideRequest(method, target, facts, options.server.decision);
    },
    upstreamFor: () => single,
    upstreams: [single],
  };
  const { app, shutdown } = assembleServer(options.server, dependencies, routing);
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => shutdown(100));
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const failed = await send(base, 'GET', '/api/v1/boom').then(
    (answer) => `answered ${answer.status}`,
    (error: NodeJS.ErrnoException) => error.code,
  );
  t.equal(failed, 'ECONNRESET', 'the connection of the request that threw is dropped, as Go drops it after a panic');
  // The other two ways a request arrives: decided before Node's 'request' (Expect: 100-continue), and as an upgrade.
  const port = (app.server.address() as AddressInfo).port;
  for (const head of [
    'POST /api/v1/boom HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n',
    'GET /api/v1/boom HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n',
  ]) {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    socket.write(head);
    await closed;
    t.equal(received, '', `dropped without an answer: ${head.split('\r\n')[0]}`);
  }
  t.equal((await send(base, 'GET', '/api/v1/pods')).status, 200, 'the next request is served');
  const logged = lines.map((line) => JSON.parse(line) as { msg: string; stack?: string });
  t.equal(logged.filter((line) => line.msg.includes('a request handler threw') && line.stack?.includes('decide blew up')).length, 3, 'one error line with the stack for each');
});

t.test('-v levels through an injected destination: 0 quiet, 3 filter lines, 6 access lines, 8 headers, 9 bodies', async (t) => {
  const upstream = await startUpstream(t, (req, res) => {
    if ((req.url ?? '').includes('watch=true')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"watched-body"}}}\n');
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'session=cookie-secret' });
    res.end('{"kind":"TokenRequest","status":{"token":"tok-in-response-body"},"note":"response-body-text"}');
  });
  const linesAt = async (verbosity: number): Promise<Record<string, unknown>[]> => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const proxy = await startProxy(t, upstream.url, { verbosity }, { logTo: sink });
    // The client's own Authorization (passed through, as in kubectl) must be redacted like an injected one.
    await send(proxy, 'POST', '/api/v1/namespaces/d/configmaps?token=tok-in-query', { 'content-type': 'application/json', authorization: 'Bearer tok-client-secret' }, '{"kind":"ConfigMap","data":{"password":"pw-in-request-body","note":"request-body-text"}}');
    await send(proxy, 'GET', '/api/v1/namespaces/d/pods/p/exec');
    await send(proxy, 'GET', '/api/v1/namespaces/d/pods?watch=true');
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  const messages = (lines: Record<string, unknown>[]): string[] => lines.map((line) => String(line.msg));

  t.same(await linesAt(0), [], '-v=0: nothing for ordinary traffic');

  const v3 = messages(await linesAt(3));
  t.ok(v3.some((m) => /^Filter accepting POST \/api\/v1\/namespaces\/d\/configmaps/.test(m)), '-v=3: accept lines');
  t.ok(v3.some((m) => /^Filter rejecting GET \/api\/v1\/namespaces\/d\/pods\/p\/exec/.test(m)), '-v=3: reject lines');
  t.notOk(v3.some((m) => /^POST .* 201$/.test(m)), '-v=3: no access lines');

  const v6lines = await linesAt(6);
  const access = v6lines.find((line) => line.msg === 'POST /api/v1/namespaces/d/configmaps 201');
  t.match(access, { method: 'POST', path: '/api/v1/namespaces/d/configmaps', status: 201, bytes: Number, upstreamMs: Number, totalMs: Number, reqId: String }, '-v=6: one access line per request');
  t.ok(v6lines.some((line) => typeof line.streamSeconds === 'number'), '-v=6: a stream reports its duration when it ends');
  t.notOk(messages(v6lines).some((m) => m.startsWith('Request headers')), '-v=6: no headers');

  const v8lines = await linesAt(8);
  const requestHeaders = v8lines.find((line) => String(line.msg).startsWith('Request headers: POST'));
  t.match(requestHeaders, { headers: { authorization: '[REDACTED]', 'content-type': 'application/json' } }, '-v=8: request headers, credential redacted');
  t.ok(v8lines.some((line) => String(line.msg) === 'Response status: 201'), '-v=8: response headers');
  t.notOk(messages(v8lines).some((m) => m.startsWith('Response body')), '-v=8: no bodies');

  const v9lines = await linesAt(9);
  const v9 = JSON.stringify(v9lines);
  t.match(v9, 'request-body-text', '-v=9: request body');
  t.match(v9, 'response-body-text', '-v=9: response body');
  t.notMatch(v9, 'watched-body', '-v=9: never a watch body');
  for (const secret of ['tok-client-secret', 'tok-in-query', 'pw-in-request-body', 'tok-in-response-body', 'cookie-secret']) {
    t.notMatch(v9, secret, `-v=9 never writes ${secret}`);
  }
});
