import t from 'tap';
import { KubegateError, REQUEST_ERRORS, STARTUP_ERRORS } from '../../src/errors.js';

// The error catalogue, as fastify's test/internals/errors.test.js keeps its own: every key is its
// code, the count is pinned (a new error is a deliberate edit here), and the two kinds stay apart.

t.test('every start-up error is keyed by its own code and says how to exit', async (t) => {
  for (const [key, entry] of Object.entries(STARTUP_ERRORS)) {
    t.equal(entry.code, key, key);
    t.ok(Number.isInteger(entry.exitCode) && entry.exitCode > 0, `${key} exits non-zero`);
  }
  t.equal(Object.keys(STARTUP_ERRORS).length, 7, 'start-up error count');
});

t.test('every request error is keyed by its own code and says how to answer and count', async (t) => {
  for (const [key, entry] of Object.entries(REQUEST_ERRORS)) {
    t.equal(entry.code, key, key);
    t.ok(entry.status >= 400 && entry.status < 600, `${key} answers with an error status`);
    t.match(entry.metric, /^(unreachable|tls|protocol|credential)$/, `${key} has a metric kind`);
  }
  t.equal(Object.keys(REQUEST_ERRORS).length, 4, 'request error count');
});

t.test('no code is both a start-up and a request error', async (t) => {
  const both = Object.keys(STARTUP_ERRORS).filter((code) => code in REQUEST_ERRORS);
  t.same(both, []);
});

t.test('a KubegateError takes exit code, status and metric from its kind', async (t) => {
  const startup = new KubegateError('KG_ERR_REGEX', 'bad pattern');
  t.equal(startup.exitCode, 1);
  t.equal(startup.status, 500, 'a start-up kind met while serving is a 500');
  const request = new KubegateError('KG_ERR_UPSTREAM_UNREACHABLE', 'refused');
  t.equal(request.status, 502);
  t.equal(request.reason, 'ServiceUnavailable');
  t.equal(request.metric, 'unreachable');
  t.equal(request.exitCode, 1, 'a request kind that stops start-up exits 1');
});
