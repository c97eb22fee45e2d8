import t from 'tap';
import { checkPolicy, compilePolicy, type CompiledPolicy } from '../../src/server/policy.js';
import { parsePolicyFile } from '../../src/options/policy-file.js';
import { readRequestInfo } from '../../src/server/request-info.js';

const judge = (policy: CompiledPolicy, method: string, url: string): string => {
  const [path = '', query = ''] = url.split('?');
  const verdict = checkPolicy(policy, readRequestInfo(method, path, new URLSearchParams(query)));
  return verdict.allowed ? 'allowed' : verdict.message;
};

t.test('no preset, no policy', async (t) => {
  t.equal(compilePolicy({}), undefined);
  t.equal(compilePolicy({ namespaces: [] }), undefined);
});

t.test('--read-only: reads of resources and GETs of other paths only; nothing that acts', async (t) => {
  const policy = compilePolicy({ readOnly: true }) as CompiledPolicy;
  for (const [method, url] of [['GET', '/api/v1/namespaces/default/pods'], ['GET', '/api/v1/namespaces/default/pods/p'], ['GET', '/api/v1/pods?watch=1'], ['GET', '/api/v1/namespaces/d/pods/p/log'], ['HEAD', '/version'], ['GET', '/apis']]) {
    t.equal(judge(policy, method as string, url as string), 'allowed', `${method} ${url}`);
  }
  const refused: readonly (readonly [string, string])[] = [
    ['POST', '/api/v1/namespaces/default/configmaps'],
    ['PUT', '/api/v1/namespaces/default/configmaps/c'],
    ['PATCH', '/api/v1/namespaces/default/configmaps/c'],
    ['DELETE', '/api/v1/namespaces/default/configmaps/c'],
    ['DELETE', '/api/v1/namespaces/default/configmaps'],
    ['GET', '/api/v1/namespaces/default/pods/p/exec'],
    ['POST', '/api/v1/namespaces/default/pods/p/attach'],
    ['GET', '/api/v1/namespaces/default/pods/p/portforward'],
    ['GET', '/api/v1/namespaces/default/services/s/proxy/admin'],
    ['GET', '/api/v1/proxy/namespaces/default/services/s'],
    ['POST', '/version'],
    ['OPTIONS', '/api/v1/pods'],
  ];
  for (const [method, url] of refused) t.match(judge(policy, method, url), /kubegate policy \(--read-only\) does not allow/, `${method} ${url} refused`);
  t.equal(
    judge(policy, 'DELETE', '/api/v1/namespaces/default/configmaps/c'),
    'configmaps "c" is forbidden: kubegate policy (--read-only) does not allow delete on resource "configmaps" in API group "" in the namespace "default"',
  );
});

t.test('--deny-secrets: no verb on secrets, in a namespace or across them, as a path or a watch', async (t) => {
  const policy = compilePolicy({ denySecrets: true }) as CompiledPolicy;
  t.equal(judge(policy, 'GET', '/api/v1/namespaces/default/secrets/db-password'), 'secrets "db-password" is forbidden: kubegate policy (--deny-secrets) does not allow get on resource "secrets" in API group "" in the namespace "default"');
  for (const [method, url] of [['GET', '/api/v1/secrets'], ['GET', '/api/v1/watch/secrets'], ['GET', '/api/v1/namespaces/kube-system/secrets?watch=true'], ['POST', '/api/v1/namespaces/d/secrets'], ['DELETE', '/api/v1/namespaces/d/secrets'], ['GET', '/api/v1/secrets?fieldSelector=metadata.name=x']]) {
    t.match(judge(policy, method as string, url as string), /--deny-secrets/, `${method} ${url}`);
  }
  t.equal(judge(policy, 'GET', '/api/v1/namespaces/default/configmaps'), 'allowed');
  t.equal(judge(policy, 'GET', '/apis/example.com/v1/secrets'), 'allowed', 'a custom resource that happens to be called secrets is another resource');
});

t.test('--namespaces: namespaced requests inside the list only; cluster-scoped reads allowed; nothing across all namespaces', async (t) => {
  const policy = compilePolicy({ namespaces: ['team-a', 'team-b'] }) as CompiledPolicy;
  t.equal(judge(policy, 'GET', '/api/v1/namespaces/team-a/pods'), 'allowed');
  t.equal(judge(policy, 'DELETE', '/api/v1/namespaces/team-b/pods/p'), 'allowed');
  t.equal(judge(policy, 'GET', '/api/v1/namespaces/team-a'), 'allowed', 'the namespace object itself');
  t.match(judge(policy, 'GET', '/api/v1/namespaces/kube-system/pods'), /pods is forbidden: kubegate policy \(--namespaces\) does not allow list on resource "pods" in API group "" in the namespace "kube-system"/);
  t.match(judge(policy, 'GET', '/api/v1/pods'), /at the cluster scope/, 'a list across all namespaces');
  t.match(judge(policy, 'GET', '/api/v1/watch/pods'), /--namespaces/, 'a watch across all namespaces');
  t.equal(judge(policy, 'GET', '/api/v1/nodes'), 'allowed', 'cluster-scoped, read');
  t.match(judge(policy, 'DELETE', '/api/v1/nodes/n1'), /--namespaces/, 'cluster-scoped, write');
  t.match(judge(policy, 'GET', '/apis/example.com/v1/widgets'), /--namespaces/, 'an unknown resource across namespaces may be namespaced: refused');
  t.equal(judge(policy, 'GET', '/version'), 'allowed');
});

t.test('presets combine: every one must allow', async (t) => {
  const policy = compilePolicy({ readOnly: true, denySecrets: true, namespaces: ['a'] }) as CompiledPolicy;
  t.match(judge(policy, 'GET', '/api/v1/namespaces/a/secrets'), /--deny-secrets/);
  t.match(judge(policy, 'POST', '/api/v1/namespaces/a/configmaps'), /--read-only/);
  t.equal(judge(policy, 'GET', '/api/v1/namespaces/a/configmaps'), 'allowed');
});

t.test('--policy FILE: some rule of the file must allow, and every preset too; the refusal names the file', async (t) => {
  const roles = parsePolicyFile(
    `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read, namespace: team-a}
rules:
  - apiGroups: [""]
    resources: [pods, secrets]
    verbs: [get, list, watch, delete]
`,
    'config/read.yaml',
  );
  const policy = compilePolicy({ roles }) as CompiledPolicy;
  t.equal(judge(policy, 'GET', '/api/v1/namespaces/team-a/pods'), 'allowed');
  t.equal(
    judge(policy, 'DELETE', '/api/v1/namespaces/team-a/configmaps/c'),
    'configmaps "c" is forbidden: kubegate policy (--policy config/read.yaml) does not allow delete on resource "configmaps" in API group "" in the namespace "team-a"',
  );
  t.equal(judge(policy, 'GET', '/version'), 'forbidden: kubegate policy (--policy config/read.yaml) does not allow get on path "/version"', 'a Role grants no non-resource URL');
  const verdict = checkPolicy(policy, readRequestInfo('GET', '/api/v1/pods', new URLSearchParams()));
  t.match(verdict, { allowed: false, rule: '--policy' }, 'counted under the bounded rule name --policy');
  const withPresets = compilePolicy({ roles, readOnly: true, denySecrets: true }) as CompiledPolicy;
  t.match(judge(withPresets, 'DELETE', '/api/v1/namespaces/team-a/pods/p'), /--read-only/, 'the file allows it, a preset does not');
  t.match(judge(withPresets, 'GET', '/api/v1/namespaces/team-a/secrets'), /--deny-secrets/);
  t.equal(judge(withPresets, 'GET', '/api/v1/namespaces/team-a/pods/p'), 'allowed');
});

t.test('--namespaces with --policy: a cluster-scoped resource beyond reads is the file\'s to grant; across namespaces stays refused', async (t) => {
  const roles = parsePolicyFile(
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
rules:
  - apiGroups: [""]
    resources: [nodes, pods]
    verbs: ["*"]
`,
    'nodes.yaml',
  );
  const policy = compilePolicy({ roles, namespaces: ['team-a'] }) as CompiledPolicy;
  t.equal(judge(policy, 'PATCH', '/api/v1/nodes/n1'), 'allowed', 'the file grants it');
  t.match(judge(policy, 'DELETE', '/api/v1/persistentvolumes/pv'), /kubegate policy \(--policy nodes\.yaml\)/, 'cluster-scoped, not granted by the file');
  t.match(judge(policy, 'GET', '/api/v1/pods'), /kubegate policy \(--namespaces\)/, 'across all namespaces: still --namespaces');
  t.match(judge(policy, 'DELETE', '/api/v1/namespaces/team-b/pods/p'), /kubegate policy \(--namespaces\)/, 'another namespace: still --namespaces');
  t.equal(judge(policy, 'DELETE', '/api/v1/namespaces/team-a/pods/p'), 'allowed');
  t.match(judge(compilePolicy({ namespaces: ['team-a'] }) as CompiledPolicy, 'PATCH', '/api/v1/nodes/n1'), /--namespaces/, 'without a file: reads only');
});
