import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import type { Decision } from '../../src/server/decide.js';
import { describeBody } from '../../src/upstream/trace.js';
import { createRecord, detailOf, summarize } from '../../src/ui/record.js';

const api = (filterPath: string, query?: string, streaming = false): Decision => ({ kind: 'api', upstreamPath: filterPath, query, filterPath, streaming });
const BASE = 'http://127.0.0.1:8001';
const SECRET_B64 = Buffer.from('s3cr3t-value').toString('base64');

t.test('the Kubernetes reading of a request, computed when the page first asks', async (t) => {
  const record = createRecord(1, 'GET', '/api/v1/namespaces/default/pods?watch=true', {}, api('/api/v1/namespaces/default/pods', 'watch=true', true), 'watch');
  t.equal(record.info, undefined, 'nothing is computed while recording');
  const summary = summarize(record);
  t.match(summary, { id: 1, method: 'GET', verb: 'watch', resource: 'pods', namespace: 'default', name: '', stream: 'watch', open: true, status: 0 });
  t.ok(record.info, 'computed once, then kept');
});

t.test('a refusal says which rule, and is read from the target when the filter never read it', async (t) => {
  const decision: Decision = { kind: 'reply', status: 403, headers: {}, body: '', rejectedBy: '--reject-paths' };
  const summary = summarize(createRecord(2, 'POST', '/api/v1/namespaces/a/pods/b/exec?command=ls', {}, decision, undefined));
  t.match(summary, { status: 403, refusedBy: '--reject-paths', verb: 'create', resource: 'pods', subresource: 'exec', name: 'b', namespace: 'a' });
  // A policy refusal (a preset or --policy) names its rule as the filter's names its flag.
  const policy: Decision = { kind: 'reply', status: 403, headers: {}, body: '', refusedByPolicy: { rule: '--deny-secrets', message: 'secrets is forbidden: ...' } };
  t.equal(summarize(createRecord(3, 'GET', '/api/v1/secrets', {}, policy, undefined)).refusedBy, '--deny-secrets');
});

t.test('credentials in the URL, the headers and the body are redacted as -v=8/-v=9 redact them', async (t) => {
  const record = createRecord(4, 'GET', '/api/v1/namespaces/default/secrets/s?access_token=tok-in-url', { authorization: 'Bearer tok-client', cookie: 'a=b', 'user-agent': 'curl/8' }, api('/api/v1/namespaces/default/secrets/s', 'access_token=tok-in-url'), undefined);
  const body = JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { password: SECRET_B64 } });
  record.status = 200;
  record.responseHeaders = { 'content-type': 'application/json', 'set-cookie': 'session=zzz' };
  record.responseBody.add(Buffer.from(body));
  record.durationMs = 3.21;
  const detail = detailOf(record, BASE);
  const text = JSON.stringify(detail);
  for (const secret of ['tok-in-url', 'tok-client', SECRET_B64, 'session=zzz', 'a=b']) t.notMatch(text, secret, `${secret} is redacted`);
  t.equal(detail.requestHeaders.authorization, '[REDACTED]');
  t.equal(detail.responseHeaders['set-cookie'], '[REDACTED]');
  t.equal(detail.url, '/api/v1/namespaces/default/secrets/s?access_token=[REDACTED]');
  t.equal(detail.responseBody, describeBody([Buffer.from(body)], body.length, 'application/json', undefined), 'exactly what -v=9 would log');
  t.match(detail.responseBody, '"password":"[REDACTED]"');
  t.equal(detail.durationMs, 3.2);
  t.equal(detail.kubectl, `kubectl -s ${BASE} get secrets s -n default`);
});

t.test('a gzip answer (kubectl asks for one) is shown inflated, still redacted', async (t) => {
  const record = createRecord(5, 'GET', '/api/v1/namespaces/default/secrets', { 'accept-encoding': 'gzip' }, api('/api/v1/namespaces/default/secrets'), undefined);
  const body = JSON.stringify({ kind: 'SecretList', items: [{ kind: 'Secret', metadata: { name: 'x' }, data: { token: SECRET_B64 } }] });
  const gzipped = gzipSync(body);
  record.responseHeaders = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  record.responseBody.add(gzipped);
  const detail = detailOf(record, BASE);
  t.match(detail.responseBody, /^\{"kind":"SecretList"/);
  t.notMatch(detail.responseBody, SECRET_B64);
});

t.test('a gzip body cut at the sample limit is inflated as far as it goes', async (t) => {
  const record = createRecord(6, 'GET', '/api/v1/configmaps', {}, api('/api/v1/configmaps'), undefined);
  const random = Buffer.from(randomBytes(20000).toString('hex'));
  const gzipped = gzipSync(Buffer.concat([Buffer.from('{"kind":"ConfigMapList","x":"'), random]));
  record.responseHeaders = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  record.responseBody.add(gzipped);
  t.ok(gzipped.length > 4096, 'the sample holds only the start of the gzip stream');
  t.match(detailOf(record, BASE).responseBody, /^\{"kind":"ConfigMapList"/);
});

t.test('a binary body is described, not shown', async (t) => {
  const record = createRecord(7, 'GET', '/api/v1/pods', {}, api('/api/v1/pods'), undefined);
  record.responseHeaders = { 'content-type': 'application/vnd.kubernetes.protobuf' };
  record.responseBody.add(Buffer.from([0x6b, 0x38, 0x73, 0, 1, 2]));
  t.equal(detailOf(record, BASE).responseBody, '[6 bytes of application/vnd.kubernetes.protobuf]');
});

t.test("the Audit-ID is kubegate's answer's, else the client's", async (t) => {
  const record = createRecord(8, 'GET', '/api', { 'audit-id': 'from-client' }, api('/api'), undefined);
  t.equal(summarize(record).auditId, 'from-client');
  record.responseHeaders = { 'audit-id': 'from-answer' };
  t.equal(summarize(record).auditId, 'from-answer');
});
