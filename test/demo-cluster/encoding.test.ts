import t from 'tap';
import { encodeJson, prettyRequested } from '../../src/demo-cluster/encoding.js';

t.test('prettyRequested: curl, Wget and browsers get indented JSON, other clients compact (negotiation.isPrettyPrint)', async (t) => {
  const path = '/api/v1/namespaces/default/pods';
  t.ok(prettyRequested(path, 'curl/8.5.0'));
  t.ok(prettyRequested(path, 'Wget/1.21.4'));
  t.ok(prettyRequested(path, 'Mozilla/5.0 (X11; Linux x86_64)'));
  t.notOk(prettyRequested(path, 'kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd'));
  t.notOk(prettyRequested(path, 'node'));
  t.notOk(prettyRequested(path, undefined), 'no User-Agent');
  t.notOk(prettyRequested(path, 'libcurl-agent/1.0'), 'a prefix, not a substring');
  t.notOk(prettyRequested(path, 'Mozilla/4.0'), 'only Mozilla/5.0');
});

t.test('prettyRequested: a non-empty pretty parameter decides alone, parsed as Go parses a bool', async (t) => {
  for (const value of ['1', 't', 'T', 'TRUE', 'true', 'True']) t.ok(prettyRequested(`/api?pretty=${value}`, 'kubectl/v1.32'), `pretty=${value}`);
  for (const value of ['0', 'f', 'false', 'FALSE', 'yes', 'tRuE']) t.notOk(prettyRequested(`/api?pretty=${value}`, 'curl/8'), `pretty=${value} wins over curl`);
  t.ok(prettyRequested('/api?pretty=', 'curl/8'), 'an empty value falls back to the User-Agent');
  t.notOk(prettyRequested('/api?pretty=', 'kubectl/v1.32'));
  t.ok(prettyRequested('/api?limit=5&pretty=true&pretty=false', 'kubectl/v1.32'), 'the first value counts');
});

t.test('encodeJson: compact ends in a newline, indented is two spaces with none; both escape HTML as Go does', async (t) => {
  const value = { kind: 'Status', message: 'a <b> & c', metadata: {}, items: [] as unknown[], nested: { list: [1, 'x'] } };
  t.equal(encodeJson(value, 'negotiated', false), '{"kind":"Status","message":"a \\u003cb\\u003e \\u0026 c","metadata":{},"items":[],"nested":{"list":[1,"x"]}}\n');
  t.equal(
    encodeJson(value, 'negotiated', true),
    '{\n  "kind": "Status",\n  "message": "a \\u003cb\\u003e \\u0026 c",\n  "metadata": {},\n  "items": [],\n  "nested": {\n    "list": [\n      1,\n      "x"\n    ]\n  }\n}',
  );
  t.equal(encodeJson({ a: 1 }, 'indented', false), '{\n  "a": 1\n}', '/version is indented for every client');
  t.equal(encodeJson({ a: 1 }, 'raw', true), '{"a":1}', 'OpenAPI bytes: compact, no newline, whoever asks');
  t.equal(encodeJson({ s: 'line\u2028sep' }, 'raw', false), '{"s":"line\\u2028sep"}');
  t.same(JSON.parse(encodeJson(value, 'negotiated', true)), value, 'the escapes decode to the same value');
});
