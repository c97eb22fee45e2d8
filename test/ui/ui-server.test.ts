import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import t from 'tap';
import type { Decision } from '../../src/server/decide.js';
import { createUiRecorder, PAGE_HEADERS } from '../../src/ui/ui-server.js';
import type { Teardown } from '../fixtures/teardown.js';

const api = (path: string, streaming = false): Decision => ({ kind: 'api', upstreamPath: path, query: undefined, filterPath: path, streaming });

/** A server that records every request, answers /-/ui/ with the page, and the rest as `answer` says. */
async function serve(t: Teardown, history = 10) {
  const recorder = createUiRecorder({ history, apiPrefix: '/' });
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    // As build-server.ts: every decided request is offered to the recorder, the page's own included.
    recorder.record(request, response, api(url, url.includes('watch=true')));
    if (url.startsWith('/-/ui/')) return recorder.serve(request, response, url.slice('/-/ui/'.length));
    request.resume();
    request.on('end', () => {
      if (url.includes('watch=true')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"type":"ADDED"}\n{"type":"ADDED"}\n');
        setTimeout(() => response.end('{"type":"DELETED"}\n'), 50);
        return;
      }
      response.setHeader('audit-id', 'audit-1');
      response.writeHead(url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      response.end('{"kind":"PodList","items":[]}');
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket) => {
    recorder.recordUpgrade(request, socket as Socket, api(request.url ?? '/'));
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n');
    socket.write('frame-1');
    socket.write('frame-2');
    setTimeout(() => socket.end(), 20);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    recorder.close();
    server.closeAllConnections();
    server.close();
  });
  return { recorder, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers: { authorization: 'Bearer client-token-x', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

t.test('the page and its assets, each with the strict headers', async (t) => {
  const { recorder, port } = await serve(t);
  const page = await get(port, '/-/ui/');
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) t.equal(page.headers[name], value, name);
  t.match(page.headers['content-security-policy'], "default-src 'self'");
  t.match(page.headers['content-security-policy'], "frame-ancestors 'none'");
  t.notMatch(page.body, /<script>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script or style in the page');
  t.match((await get(port, '/-/ui/app.js')).headers['content-type'], /^text\/javascript/);
  t.match((await get(port, '/-/ui/app.css')).headers['content-type'], /^text\/css/);
  t.same(JSON.parse((await get(port, '/-/ui/config')).body), { apiPrefix: '/' });
  t.equal((await get(port, '/-/ui/nothing-here')).status, 404);
  t.equal((await get(port, '/-/ui/requests/99')).status, 404);
  t.equal((await get(port, '/-/ui/events', 'HEAD')).status, 200, 'HEAD of the event stream: headers only');
  for (const site of ['cross-site', 'same-site']) {
    for (const data of ['events', 'requests/1', 'config']) t.equal((await get(port, `/-/ui/${data}`, 'GET', undefined, { 'sec-fetch-site': site })).status, 403, `${data} asked for by a ${site} page`);
    t.equal((await get(port, '/-/ui/', 'GET', undefined, { 'sec-fetch-site': site })).status, 200, 'a link from elsewhere still opens the page');
  }
  t.equal((await get(port, '/-/ui/config', 'GET', undefined, { 'sec-fetch-site': 'same-origin' })).status, 200);
  t.equal(recorder.buffer.size, 0, "the page's own requests are never recorded");
});

t.test('a request is recorded from what the client sent and got: status, headers, bytes, duration', async (t) => {
  const { recorder, port } = await serve(t);
  await get(port, '/api/v1/pods', 'POST', '{"kind":"Pod"}');
  await get(port, '/missing');
  const [first, second] = recorder.buffer.items();
  t.match(first, { id: 1, method: 'POST', status: 200, bytesIn: 14, bytesOut: 29, cutShort: false });
  t.ok((first?.durationMs ?? -1) >= 0, 'ended');
  t.equal(first?.responseHeaders?.['audit-id'], 'audit-1', 'headers set before writeHead are kept');
  t.equal(first?.responseHeaders?.['content-type'], 'application/json', 'and those given to it');
  t.equal(second?.status, 404);
  const detail = JSON.parse((await get(port, '/-/ui/requests/1')).body) as Record<string, unknown>;
  t.match(detail, { verb: 'create', resource: 'pods', requestBody: '{"kind":"Pod"}', responseBody: '{"kind":"PodList","items":[]}', auditId: 'audit-1' });
  t.match(detail, { requestHeaders: { authorization: '[REDACTED]' } });
  t.notMatch(JSON.stringify(detail), 'client-token-x');
});

t.test('a watch is an open stream, its events counted, then ended', async (t) => {
  const { recorder, port } = await serve(t);
  await get(port, '/api/v1/pods?watch=true');
  t.match(recorder.buffer.get(1), { stream: 'watch', events: 3, status: 200 });
  t.ok(recorder.buffer.get(1)?.durationMs !== undefined, 'ended');
});

t.test('a tunnel: its status line, the writes relayed, its end', async (t) => {
  const { recorder, port } = await serve(t);
  const socket = connect(port, '127.0.0.1');
  socket.write('POST /api/v1/namespaces/default/pods/p/portforward HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
  socket.resume();
  await once(socket, 'close');
  await new Promise((resolve) => setTimeout(resolve, 20));
  const record = recorder.buffer.get(1);
  t.match(record, { stream: 'tunnel', status: 101, events: 2 });
  t.ok((record?.bytesOut ?? 0) > 70, 'bytes counted from the socket');
  t.ok(record?.durationMs !== undefined);
});

t.test('the event stream: what is held, then each change; ended by close()', async (t) => {
  const { recorder, port } = await serve(t, 2);
  await get(port, '/api/v1/a');
  const events = await new Promise<IncomingMessage>((resolve) => httpRequest({ host: '127.0.0.1', port, path: '/-/ui/events' }, resolve).end());
  t.match(events.headers['content-type'], /^text\/event-stream/);
  t.equal(events.headers['content-security-policy'], PAGE_HEADERS['content-security-policy']);
  let text = '';
  events.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.match(text, /^retry: 2000\nevent: snapshot\ndata: \[\{"id":1,/);
  await get(port, '/api/v1/b');
  await get(port, '/api/v1/c');
  await new Promise((resolve) => setTimeout(resolve, 250));
  t.match(text, /event: request\ndata: \{"id":2,[^\n]*"url":"\/api\/v1\/b"/);
  t.match(text, /event: request\ndata: \{"id":3,/);
  t.equal((await get(port, '/-/ui/requests/1')).status, 404, 'history 2: the first is no longer held');
  const ended = once(events, 'end');
  recorder.close();
  await ended;
  t.pass('close() ends the stream');
});
