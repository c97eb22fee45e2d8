import t from 'tap';
import { Writable } from 'node:stream';
import { KubegateError } from '../src/errors.js';
import { createLogger, levelForVerbosity, loadPrettyPrinter, redactBody, redactUrlUserinfo } from '../src/log.js';

function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, destination };
}

t.test('kubectl -v levels map to log levels', async (t) => {
  t.equal(levelForVerbosity(0), 'warn');
  t.equal(levelForVerbosity(2), 'warn');
  t.equal(levelForVerbosity(3), 'info');
  t.equal(levelForVerbosity(6), 'debug');
  t.equal(levelForVerbosity(8), 'trace');
  t.equal(levelForVerbosity(9), 'trace');
});

t.test('-v=0 writes warnings but not filter decisions', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 0, destination });
  logger.info('Filter accepting GET /api');
  logger.warn('careful');
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0] as string) as unknown, { level: 40, msg: 'careful' });
});

t.test('credentials are redacted wherever they appear in a log object', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 9, destination });
  logger.trace({ headers: { authorization: 'Bearer tok-secret', cookie: 'c=secret', 'proxy-authorization': 'Basic c2VjcmV0' } }, 'request headers');
  logger.trace({ req: { headers: { authorization: 'Bearer tok-secret' } } }, 'request');
  logger.trace({ token: 'tok-secret', password: 'pw-secret', key: 'PRIVATE KEY' }, 'material');
  const text = lines.join('');
  t.notMatch(text, /tok-secret|pw-secret|c=secret|c2VjcmV0|PRIVATE KEY/);
  t.match(text, /\[REDACTED\]/);
});

t.test('text format is human-readable', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 0, destination, pretty: await loadPrettyPrinter() });
  logger.warn('readable line');
  t.match(lines.join(''), /WARN.*readable line/);
  t.notMatch(lines.join(''), /^\{/);
});

t.test('redactUrlUserinfo hides the password as Go\'s url.Redacted does, and leaves other text alone', async (t) => {
  const rows: [string, string, string][] = [
    ['user and password', 'https://user:secretpw@127.0.0.1:6443', 'https://user:xxxxx@127.0.0.1:6443'],
    ['password with an escaped @', 'https://u:p%40ss@host/path?q=1', 'https://u:xxxxx@host/path?q=1'],
    ['user only', 'https://user@host:6443', 'https://user@host:6443'],
    ['no userinfo', 'https://10.0.0.1:6443/base', 'https://10.0.0.1:6443/base'],
    ['an @ in the path is not userinfo', 'https://host/a@b', 'https://host/a@b'],
    ['not a URL', 'host:6443', 'host:6443'],
  ];
  for (const [name, input, expected] of rows) t.equal(redactUrlUserinfo(input), expected, name);
});

/** Secret values used below, each in base64 (as in data) and plain (as in stringData). */
const VALUES = ['dGxzLWtleS1ieXRlcw==', 'YXBpLWtleS12YWx1ZQ==', 'QUtJQVNFQ1JFVA==', 'eC12YWx1ZQ==', 'pLa1nStr1ngV4lu3'];
const secretObject = {
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: { name: 's', namespace: 'default', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { x: 'eC12YWx1ZQ==' } }) } },
  data: { 'tls.key': VALUES[0], 'api-key': VALUES[1], aws_secret_access_key: VALUES[2], x: VALUES[3] },
  stringData: { note: VALUES[4] },
  type: 'Opaque',
};

function leaked(text: string): string[] {
  // Also any 6-character piece of a value: a cut body must not show the part of a value it kept.
  return VALUES.filter((value) => {
    for (let i = 0; i + 6 <= value.length; i++) if (text.includes(value.slice(i, i + 6))) return true;
    return false;
  });
}

t.test('-v=9 bodies: every data and stringData value of a Secret is hidden, whatever the key\'s name', async (t) => {
  const whole = redactBody(JSON.stringify(secretObject));
  t.same(leaked(whole), []);
  t.match(whole, /"tls\.key":"\[REDACTED\]"/, 'key names stay, for debugging');
  t.match(whole, /"type":"Opaque"/);
  const list = redactBody(JSON.stringify({ kind: 'SecretList', apiVersion: 'v1', items: [secretObject, { ...secretObject, kind: undefined }] }));
  t.same(leaked(list), [], 'list items, which carry no kind of their own');
  const events = [{ type: 'ADDED', object: secretObject }, { type: 'MODIFIED', object: secretObject }].map((event) => JSON.stringify(event)).join('\n');
  t.same(leaked(redactBody(events)), [], 'watch events');
  const applied = redactBody(JSON.stringify({ apiVersion: 'v1', data: secretObject.data, kind: 'Secret', metadata: { name: 's' } }));
  t.same(leaked(applied), [], 'kubectl apply sorts data before kind');
  const patch = redactBody(JSON.stringify({ metadata: { ownerReferences: [{ kind: 'Deployment' }] }, data: secretObject.data }));
  t.same(leaked(patch), [], 'a patch without a kind counts as a Secret');
  const table = redactBody(JSON.stringify({ kind: 'Table', rows: [{ object: secretObject }] }));
  t.same(leaked(table), [], 'a Table with the objects');
});

t.test('-v=9 bodies: a Secret cut at any byte shows no part of a value', async (t) => {
  const text = JSON.stringify({ kind: 'SecretList', items: [secretObject, secretObject] });
  const failures: number[] = [];
  for (let cut = 1; cut <= text.length; cut++) {
    if (leaked(redactBody(text.slice(0, cut))).length > 0) failures.push(cut);
  }
  t.same(failures, [], `${text.length} prefixes`);
});

t.test('-v=9 bodies: other kinds keep their data, so ConfigMaps stay debuggable', async (t) => {
  const configMap = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', data: { 'app.conf': 'level=debug' } });
  t.equal(redactBody(configMap), configMap);
  t.equal(redactBody('{"kind":"Status","status":"Failure","message":"secrets \\"s\\" not found"}'), '{"kind":"Status","status":"Failure","message":"secrets \\"s\\" not found"}');
});

t.test('-v=9 bodies: YAML Secrets (Accept: application/yaml), whole and cut short', async (t) => {
  const yaml = [
    'apiVersion: v1',
    'items:',
    '- data:',
    `    tls.key: ${VALUES[0]}`,
    `    "api-key": ${VALUES[1]}`,
    '  metadata:',
    '    name: s',
    '  stringData:',
    '    note: |',
    `      ${VALUES[4]}`,
    `    aws_secret_access_key: {x: ${VALUES[2]}}`,
    `  type: Opaque`,
    'kind: SecretList',
    '---',
    'kind: Secret',
    `data: {x: ${VALUES[3]}}`,
    '',
  ].join('\n');
  const whole = redactBody(yaml);
  t.same(leaked(whole), []);
  t.match(whole, /tls\.key: \[REDACTED\]/);
  t.match(whole, /name: s/);
  const failures: number[] = [];
  for (let cut = 1; cut <= yaml.length; cut++) if (leaked(redactBody(yaml.slice(0, cut))).length > 0) failures.push(cut);
  t.same(failures, [], 'every prefix');
  const configMap = 'kind: ConfigMap\ndata:\n  app.conf: level=debug\n';
  t.equal(redactBody(configMap), configMap);
});

t.test('an expected failure is logged with its message and codes, never a stack (its causes neither); a bug keeps its stack', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 0, destination });
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' });
  const wrapped = new TypeError('fetch failed', { cause: socket });
  logger.error({ err: new KubegateError('KG_ERR_UPSTREAM_UNREACHABLE', 'cannot reach the API server at https://127.0.0.1:1', { cause: wrapped }) }, 'Error while proxying request');
  logger.error({ err: socket }, 'socket error');
  logger.error({ err: new TypeError('x is not a function') }, 'bug');
  const [expected, system, bug] = lines.map((line) => JSON.parse(line) as { err: Record<string, unknown> });
  t.match(expected?.err, { type: 'KubegateError', code: 'KG_ERR_UPSTREAM_UNREACHABLE', message: 'cannot reach the API server at https://127.0.0.1:1', cause: { message: 'fetch failed', cause: { code: 'ECONNREFUSED' } } });
  t.notMatch(lines[0], /"stack"|\s{4}at /, 'no stack in the error or its causes');
  t.notOk('stack' in (system?.err ?? {}), 'a system error is not a bug');
  t.match(bug?.err, { type: 'TypeError', message: 'x is not a function', stack: /^TypeError: x is not a function\n\s+at / });
});

t.test('text format: one event is one line, the cause on it (-v=6 request lines, request errors)', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 6, destination, pretty: await loadPrettyPrinter() });
  logger.debug({ reqId: 'r1', method: 'GET', path: '/api', status: 200, bytes: 12, upstreamMs: 1.5, totalMs: 2 }, 'GET /api 200');
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  logger.error({ err: new KubegateError('KG_ERR_UPSTREAM_UNREACHABLE', 'cannot reach the API server at https://127.0.0.1:1', { cause }), code: 'KG_ERR_UPSTREAM_UNREACHABLE' }, 'Error while proxying request');
  logger.error({ err: new TypeError('x is not a function') }, 'internal error');
  const text = lines.join('');
  const printed = text.split('\n').filter((line) => line !== '');
  t.equal(printed.length, 3, text);
  t.match(printed[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: GET \/api 200 \{"reqId":"r1","method":"GET","path":"\/api","status":200/);
  t.match(printed[1], /^\[[\d:.]+\] ERROR: Error while proxying request: cannot reach the API server at https:\/\/127\.0\.0\.1:1 \(KG_ERR_UPSTREAM_UNREACHABLE <- ECONNREFUSED\) \{"code":"KG_ERR_UPSTREAM_UNREACHABLE"\}$/);
  t.notMatch(printed[1], / {4}at |stack=/, 'no stack frame');
  t.match(printed[2], /ERROR: internal error: x is not a function \(TypeError\) stack="TypeError: x is not a function\\n\s+at /, 'a bug\'s stack stays, escaped on the line');
});
