import t from 'tap';
import { startTestCluster } from '../fixtures/cluster.js';
import { rawRequest, runCommand, startKubegate } from '../fixtures/processes.js';

// Request smuggling, browser origins and CORS, through a real kubegate process, with the test API
// server's request log as the witness of what got through.

const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

t.test('request smuggling: ambiguous framing is a 400 and nothing reaches the API server', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const head = `POST ${CONFIGMAPS} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n`;
  const smuggled = `GET /api/v1/namespaces/default/pods/p/exec HTTP/1.1\r\nHost: localhost\r\n\r\n`;
  const cases: [string, string][] = [
    ['Content-Length and Transfer-Encoding together', `${head}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['Transfer-Encoding and Content-Length together', `${head}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${smuggled}`],
    ['two different Content-Lengths', `${head}Content-Length: 2\r\nContent-Length: 60\r\n\r\n{}${smuggled}`],
    ['a Content-Length list', `${head}Content-Length: 2, 60\r\n\r\n{}${smuggled}`],
    ['a signed Content-Length', `${head}Content-Length: +2\r\n\r\n{}`],
    ['a negative Content-Length', `${head}Content-Length: -1\r\n\r\n{}`],
    ['Transfer-Encoding that is not chunked last', `${head}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
    ['an unknown Transfer-Encoding', `${head}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
    ['Transfer-Encoding with a space before the colon', `${head}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['a chunk size that overflows', `${head}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n`],
    ['a chunk size that is not hex', `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\nx\r\n0\r\n\r\n`],
    ['bare LF line endings', `POST ${CONFIGMAPS} HTTP/1.1\nHost: localhost\nContent-Length: 2\n\n{}`],
    ['a bare LF inside the headers', `${head}X-A: 1\nContent-Length: 2\r\n\r\n{}`],
    ['obsolete line folding', `${head}X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}`],
    ['a NUL in a header value', `${head}X-A: a\0b\r\nContent-Length: 2\r\n\r\n{}`],
    ['a space in the request target', `GET /api/v1 /x HTTP/1.1\r\nHost: localhost\r\n\r\n`],
    ['HTTP/1.1 without Host', `GET /api HTTP/1.1\r\nUser-Agent: x\r\n\r\n`],
    ['two Host headers', `GET /api HTTP/1.1\r\nHost: localhost\r\nHost: evil.com\r\n\r\n`],
  ];
  const before = cluster.api.requests.received;
  const goAnswers501 = new Set(['Transfer-Encoding that is not chunked last', 'an unknown Transfer-Encoding']);
  for (const [name, request] of cases) {
    const answer = await rawRequest(proxy.port, request);
    t.equal(answer.status, goAnswers501.has(name) ? 501 : 400, `${name}: ${goAnswers501.has(name) ? 501 : 400} (Go's answer)`);
  }
  t.equal(cluster.api.requests.received, before, 'none of them reached the API server');
  t.equal((await fetch(`${proxy.url}${CONFIGMAPS}`)).status, 200, 'and kubegate still serves');
});

t.test('browsers: --accept-origins rejects foreign origins (also on WebSocket upgrades); requests without Origin are unaffected', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0', '--accept-origins=^http://localhost:3000$'], {
    env: { HOME: cluster.dir, KUBECONFIG: undefined },
  });
  const curl = (...args: string[]) => runCommand('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args]);
  t.equal((await curl(`${proxy.url}${CONFIGMAPS}`)).stdout, '200', 'curl (no Origin)');
  t.equal((await curl('-H', 'Origin: http://localhost:3000', `${proxy.url}${CONFIGMAPS}`)).stdout, '200', 'the accepted origin');
  const before = cluster.api.requests.received;
  t.equal((await curl('-X', 'POST', '-H', 'Origin: https://evil.example', '-H', 'Content-Type: text/plain', '-d', '{}', `${proxy.url}${CONFIGMAPS}`)).stdout, '403', 'a form-style POST from a foreign page');
  const socket = await rawRequest(
    proxy.port,
    'GET /api/v1/namespaces/default/pods/p/portforward HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  t.equal(socket.status, 403, 'a cross-site WebSocket (port-forward) from a foreign page');
  t.match(socket.body.toString(), /Origin \\"https:\/\/evil\.example\\" matches no --accept-origins rule/);
  t.equal(cluster.api.requests.received, before, 'neither reached the API server');
});

t.test('browsers: --cors-allow-origins answers preflights and adds CORS headers for listed origins only', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0', '--cors-allow-origins=^http://localhost:3000$'], {
    env: { HOME: cluster.dir, KUBECONFIG: undefined },
  });
  const preflight = await runCommand('curl', [
    '-s', '-D', '-', '-o', '/dev/null', '-X', 'OPTIONS',
    '-H', 'Origin: http://localhost:3000', '-H', 'Access-Control-Request-Method: DELETE', '-H', 'Access-Control-Request-Headers: content-type',
    `${proxy.url}${CONFIGMAPS}/x`,
  ]);
  t.match(preflight.stdout, /^HTTP\/1\.1 204/);
  t.match(preflight.stdout, /access-control-allow-origin: http:\/\/localhost:3000/i);
  t.match(preflight.stdout, /access-control-allow-methods: GET, HEAD, POST, PUT, PATCH, DELETE/i);
  t.match(preflight.stdout, /access-control-allow-headers: content-type/i);

  const get = await runCommand('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Origin: http://localhost:3000', `${proxy.url}${CONFIGMAPS}`]);
  t.match(get.stdout, /^HTTP\/1\.1 200/);
  t.match(get.stdout, /access-control-allow-origin: http:\/\/localhost:3000/i);
  t.match(get.stdout, /access-control-expose-headers: Audit-Id/i);

  const foreign = await runCommand('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Origin: https://evil.example', `${proxy.url}${CONFIGMAPS}`]);
  t.notMatch(foreign.stdout, /access-control-allow-origin/i, 'a foreign page gets no CORS headers, so the browser hides the answer from it');
  const foreignPreflight = await runCommand('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'OPTIONS', '-H', 'Origin: https://evil.example', '-H', 'Access-Control-Request-Method: DELETE', `${proxy.url}${CONFIGMAPS}/x`]);
  t.equal(foreignPreflight.stdout, '403');
});
