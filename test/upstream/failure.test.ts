import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { KubegateError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { NO_METRICS, type ProxyMetrics } from '../../src/observe/observer.js';
import { describeUpstreamError, reportFailure } from '../../src/upstream/failure.js';

const withCode = (code: string, message = code): Error => Object.assign(new Error(message), { code });

t.test('connection failures are 502 ServiceUnavailable (never 503, whose message client-go replaces) and name the server and the cause', async (t) => {
  const error = describeUpstreamError(withCode('ECONNREFUSED'), 'https://127.0.0.1:1');
  t.equal(error.code, 'KG_ERR_UPSTREAM_UNREACHABLE');
  t.equal(error.status, 502);
  t.equal(error.reason, 'ServiceUnavailable');
  t.match(error.message, /https:\/\/127\.0\.0\.1:1: connection refused/);
});

t.test('codes are found through undici cause chains', async (t) => {
  const wrapped = new Error('fetch failed', { cause: withCode('ENOTFOUND') });
  t.equal(describeUpstreamError(wrapped, 'https://nope.invalid').code, 'KG_ERR_UPSTREAM_UNREACHABLE');
});

t.test('certificate problems are TLS errors with advice', async (t) => {
  const error = describeUpstreamError(withCode('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'https://k:6443');
  t.equal(error.code, 'KG_ERR_UPSTREAM_TLS');
  t.equal(error.status, 502);
  t.equal(error.reason, 'ServiceUnavailable');
  t.match(error.message, /certificate-authority/);
  t.match(error.message, /failed: certificate signed by unknown authority \(self-signed certificate in certificate chain, SELF_SIGNED_CERT_IN_CHAIN\)/, "Go's words for it, then Node's");
  const otherCa = describeUpstreamError(withCode('CERT_SIGNATURE_FAILURE', 'certificate signature failure'), 'https://k:6443');
  t.match(otherCa.message, /certificate signed by unknown authority \(certificate signature failure, CERT_SIGNATURE_FAILURE\)/, 'a trusted CA of the same name that did not sign it');
  const expired = describeUpstreamError(withCode('CERT_HAS_EXPIRED', 'certificate has expired'), 'https://k:6443');
  t.match(expired.message, /failed: certificate has expired \(CERT_HAS_EXPIRED\)/);
  t.notMatch(expired.message, /unknown authority/);
  t.equal(describeUpstreamError(withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 's').code, 'KG_ERR_UPSTREAM_TLS');
});

t.test('kubegate errors pass through unchanged (credential failures keep their 500)', async (t) => {
  const original = new KubegateError('KG_ERR_CREDENTIAL', 'token file unreadable');
  t.equal(describeUpstreamError(original, 's'), original);
  t.equal(original.status, 500);
  t.equal(original.reason, 'InternalError');
});

t.test('anything else is a protocol error, never a stack trace', async (t) => {
  const error = describeUpstreamError(new Error('weird'), 'https://k');
  t.equal(error.code, 'KG_ERR_UPSTREAM_PROTOCOL');
  t.notMatch(error.message, /at .*\.js:\d+/);
});

t.test("an answer undici refuses to parse is a 502 protocol error, not 'cannot reach'", async (t) => {
  const refused = Object.assign(new Error('bad response'), { code: 'UND_ERR_SOCKET' });
  const described = describeUpstreamError(refused, 'https://api:6443');
  t.equal(described.code, 'KG_ERR_UPSTREAM_PROTOCOL');
  t.equal(described.status, 502);
  t.match(described.message, /https:\/\/api:6443 sent an answer kubegate cannot read/);
  const lost = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  t.equal(describeUpstreamError(lost, 'https://api:6443').code, 'KG_ERR_UPSTREAM_UNREACHABLE', 'a closed connection is still unreachable');
});

t.test('reportFailure answers with the catalogue status and reason, as text for a discovery document kubectl reads raw', async (t) => {
  const counted: string[] = [];
  const metrics: ProxyMetrics = { ...NO_METRICS, upstreamError: (kind) => void counted.push(kind) };
  const sink = { logger: createLogger({ verbosity: 0, destination: new Writable({ write: (_c, _e, cb) => cb() }) }), metrics, origin: 'https://k:6443' };
  const server = createServer((_request, response) => {
    reportFailure(sink, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { kind: 'response', response }, { what: 'test' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const list = await fetch(`${base}/api/v1/namespaces/default/pods`);
  t.equal(list.status, 502);
  t.equal(list.headers.get('content-type'), 'application/json');
  t.match(await list.json(), { kind: 'Status', code: 502, reason: 'ServiceUnavailable', message: /cannot reach the API server at https:\/\/k:6443: connection refused/ });
  const discovery = await fetch(`${base}/apis?timeout=32s`);
  t.equal(discovery.status, 502);
  t.equal(discovery.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.match(await discovery.text(), /^cannot reach the API server at https:\/\/k:6443: connection refused \(ECONNREFUSED\)\. .*\n$/);
  t.same(counted, ['unreachable', 'unreachable']);
});
