import t from 'tap';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from './fixtures/teardown.js';
import { errorAnswer, reasonForCode, statusBody, wantsPlainTextError, writeStatus } from '../src/status.js';

t.test('statusBody is a Kubernetes Status object', async (t) => {
  t.same(statusBody(403, 'Forbidden', 'nope'), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'nope',
    reason: 'Forbidden',
    code: 403,
  });
});

t.test('reasons follow the status code', async (t) => {
  t.equal(reasonForCode(403), 'Forbidden');
  t.equal(reasonForCode(503), 'ServiceUnavailable');
  t.equal(reasonForCode(500), 'InternalError');
  t.equal(reasonForCode(502), 'BadGateway');
});

t.test('the documents client-go reads raw (no Status decoding) are recognised, with or without an --api-prefix', async (t) => {
  for (const target of ['/api', '/apis', '/version', '/openapi/v2', '/openapi/v3', '/openapi/v3/apis/apps/v1', '/api?timeout=32s', '/k8s/api', '/k8s/version?timeout=5s']) {
    t.ok(wantsPlainTextError('GET', target), `GET ${target}`);
  }
  t.ok(wantsPlainTextError('HEAD', '/apis'));
  for (const target of ['/api/', '/api/v1', '/apis/apps/v1', '/api/v1/namespaces/default/pods', '/api/v1/namespaces/a/pods/b/log', '/versions', '/openapi', '/openapi/v4', '/', '/api/v1/pods?x=/api']) {
    t.notOk(wantsPlainTextError('GET', target), `GET ${target} is decoded`);
  }
  t.notOk(wantsPlainTextError('DELETE', '/api'), 'only reads');
  t.notOk(wantsPlainTextError(undefined, undefined));
});

t.test('errorAnswer: a Status JSON, or for a raw read the message as Go http.Error text', async (t) => {
  const answer = { code: 502, reason: 'ServiceUnavailable' as const, message: 'cannot reach the API server at https://k:6443: connection refused (ECONNREFUSED)' };
  const json = errorAnswer(answer, false);
  t.same(json.headers, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }, 'exactly the type client-go negotiates a decoder for');
  t.same(JSON.parse(json.body), statusBody(502, 'ServiceUnavailable', answer.message));
  const text = errorAnswer(answer, true);
  t.same(text.headers, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  t.equal(text.body, `${answer.message}\n`);
});

async function answerWith(t: Teardown, write: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(write);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('writeStatus picks the form from the request it answers, and keeps the reason it is given', async (t) => {
  const base = await answerWith(t, (_request, response) => writeStatus(response, 502, 'cannot reach it', undefined, 'ServiceUnavailable'));
  const list = await fetch(`${base}/api/v1/pods`);
  t.equal(list.status, 502);
  t.equal(list.headers.get('content-type'), 'application/json');
  t.equal(list.headers.get('cache-control'), 'no-cache, private');
  t.match(await list.json(), { kind: 'Status', code: 502, reason: 'ServiceUnavailable', message: 'cannot reach it' });
  const discovery = await fetch(`${base}/api?timeout=32s`);
  t.equal(discovery.status, 502);
  t.equal(discovery.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.equal(await discovery.text(), 'cannot reach it\n');
});
