import t from 'tap';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../../src/auth/credentials.js';
import { createDiscoveryGet, readServedApi } from '../../src/upstream/discovery.js';

// The start-up read of discovery: what it sends, what it makes of the answers, and when it gives up.

type Request = Dispatcher['request'];

/** An agent answering from a table of path → [status, JSON], recording each request's options. */
function fakeAgent(answers: Record<string, readonly [number, unknown]>, seen: Dispatcher.RequestOptions[]): Pick<Dispatcher, 'request'> {
  const request = (async (options: Dispatcher.RequestOptions) => {
    seen.push(options);
    const [statusCode, json] = answers[options.path] ?? [404, {}];
    return { statusCode, body: { json: async () => json, dump: async () => undefined } };
  }) as unknown as Request;
  return { request };
}

const credentials = (authorization: string | undefined): Credentials => ({ authorization: () => authorization }) as unknown as Credentials;
const target = { origin: 'https://api.example:6443', host: 'api.example:6443', basePath: '/base', tls: true };

t.test('one GET per path, with kubegate\'s credential and its own User-Agent, under the base path', async (t) => {
  const seen: Dispatcher.RequestOptions[] = [];
  const get = createDiscoveryGet(fakeAgent({ '/base/api': [200, { versions: ['v1'] }] }, seen), target, credentials('Bearer tok'), 'kubegate/v1 policy-check');
  t.same(await get('/api'), { versions: ['v1'] });
  t.match(seen[0], { origin: 'https://api.example:6443', path: '/base/api', method: 'GET', headers: { host: 'api.example:6443', authorization: 'Bearer tok', 'user-agent': 'kubegate/v1 policy-check' } });
  await t.rejects(get('/apis'), { message: 'GET /apis answered 404' }, 'anything but 200 rejects');
});

t.test('readServedApi: every group\'s name, and the resources of the groups asked about (every version)', async (t) => {
  const seen: Dispatcher.RequestOptions[] = [];
  const answers: Record<string, readonly [number, unknown]> = {
    '/api': [200, { versions: ['v1'] }],
    '/apis': [200, { groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1' }, { groupVersion: 'apps/v1beta1' }] }, { name: 'batch', versions: [{ groupVersion: 'batch/v1' }] }] }],
    '/api/v1': [200, { resources: [{ name: 'pods', singularName: 'pod', shortNames: ['po'], kind: 'Pod' }, { name: 'pods/log', kind: 'Pod' }] }],
    '/apis/apps/v1': [200, { resources: [{ name: 'deployments', singularName: 'deployment', kind: 'Deployment' }] }],
    '/apis/apps/v1beta1': [200, { resources: [{ name: 'controllerrevisions', kind: 'ControllerRevision' }] }],
  };
  const get = createDiscoveryGet(fakeAgent(Object.fromEntries(Object.entries(answers).map(([path, answer]) => [`/base${path}`, answer])), seen), target, credentials(undefined), 'ua');
  const served = await readServedApi(get, new Set(['', 'apps']));
  t.same([...served.groups].sort(), ['', 'apps', 'batch']);
  t.same(served.resources.get('')?.map((r) => r.name), ['pods', 'pods/log']);
  t.same(served.resources.get('apps')?.map((r) => r.name).sort(), ['controllerrevisions', 'deployments']);
  t.notOk(served.resources.has('batch'), 'a group the policy does not name is not read');
  t.notOk(seen.some((options) => options.path.includes('batch')));
  t.notOk('authorization' in (seen[0]?.headers as Record<string, string>), 'no credential, no Authorization header');
});
