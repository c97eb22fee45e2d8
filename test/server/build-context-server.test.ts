import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { kubeconfigError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { completeOptions } from '../../src/options/complete.js';
import { buildContextServer } from '../../src/server/build-context-server.js';
import { noCredentials } from '../fixtures/credentials.js';
import { restConfig } from '../fixtures/kubeconfig/env.js';
import type { Teardown } from '../fixtures/teardown.js';

/** A plain-HTTP upstream answering with its own name and the path it was asked for. */
async function upstream(t: Teardown, name: string): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ name, url: request.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const quiet = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const withCredentials = { ...noCredentials, problems: () => [], inHand: () => true };

t.test('each context forwards to its own upstream; an unusable one answers for itself; shutdown closes all', async (t) => {
  const dev = await upstream(t, 'dev');
  const prod = await upstream(t, 'prod');
  const options = completeOptions({ port: 0, contexts: 'dev,prod/eu,broken' }, {}, process.cwd());
  const server = buildContextServer(options.server, {
    contexts: [
      { name: 'dev', restConfig: restConfig(dev.url, { kind: 'none' }), credentials: withCredentials },
      { name: 'prod/eu', restConfig: { ...restConfig(prod.url, { kind: 'none' }), server: prod.url.replace('http://', 'http://admin:hunter2@') }, credentials: withCredentials },
      { name: 'broken', error: kubeconfigError('no server found for cluster "broken"') },
    ],
    logger: createLogger({ verbosity: 0, destination: quiet }),
  });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => server.shutdown(100));
  const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const answer = await fetch(`${base}${path}`);
    return { status: answer.status, body: (await answer.json()) as unknown };
  };
  t.same(await get('/clusters/dev/api/v1/pods?limit=1'), { status: 200, body: { name: 'dev', url: '/api/v1/pods?limit=1' } });
  t.same(await get('/clusters/prod%252Feu/api/v1/x%2Fy'), { status: 200, body: { name: 'prod', url: '/api/v1/x%2Fy' } });
  t.match(await get('/clusters/broken/api/v1/pods'), { status: 500, body: { message: 'context "broken" cannot be served: no server found for cluster "broken"' } });
  const listing = await get('/clusters/');
  t.match(listing.body, { clusters: [{ name: 'dev', server: dev.url }, { name: 'prod/eu', server: prod.url.replace('http://', 'http://admin:xxxxx@') }, { name: 'broken', server: null }] });
  t.notMatch(JSON.stringify(listing.body), 'hunter2', 'a password in a server URL is never listed');
  t.same([dev.seen, prod.seen], [['/api/v1/pods?limit=1'], ['/api/v1/x%2Fy']], 'each upstream saw only its own request');
  t.same(server.contexts.map((context) => [context.name, context.used(), context.upstream !== undefined]), [['dev', true, true], ['prod/eu', true, true], ['broken', false, false]]);
});
