import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster } from '../fixtures/cluster.js';
import { repoRoot } from '../fixtures/paths.js';
import { freePort, requireKubectl, runCommand, runKubegate, startKubegate, waitUntil } from '../fixtures/processes.js';

// --policy FILE through the shipped binary: real kubectl through kubegate against the test API server,
// judged by what that server received; the start-up errors and warnings as a user sees them.
const kubectl = requireKubectl();
const EXAMPLE = join(repoRoot, 'config', 'policy-read-pods.yaml');

t.test('config/policy-read-pods.yaml: kubectl get pods works; a refused kubectl delete prints kubegate\'s Forbidden message and never arrives', async (t) => {
  const cluster = await startTestCluster(t, { namespaces: ['default', 'kube-system'] });
  seedDemoCluster(cluster.api.store);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const adminPort = await freePort();
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--policy', EXAMPLE, '-v=3', `--admin-address=127.0.0.1:${adminPort}`], { env });
  const k = (...args: string[]) => runCommand(kubectl, ['-s', proxy.url, ...args], { env });

  const pods = await k('get', 'pods');
  t.equal(pods.status, 0, pods.stderr);
  t.match(pods.stdout, /nginx-/);
  t.equal((await k('get', 'configmaps', '-n', 'default')).status, 0);

  const deleted = await k('delete', 'configmap', 'kube-root-ca', '--wait=false');
  t.not(deleted.status, 0);
  t.match(deleted.stderr, new RegExp(`Error from server \\(Forbidden\\): configmaps "kube-root-ca" is forbidden: kubegate policy \\(--policy ${EXAMPLE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) does not allow delete on resource "configmaps" in API group "" in the namespace "default"`));
  t.match((await k('get', 'pods', '-n', 'kube-system')).stderr, /pods is forbidden: kubegate policy \(--policy .*\) does not allow list on resource "pods" in API group "" in the namespace "kube-system"/, 'a Role grants only in its own namespace');
  t.match((await k('get', 'secrets')).stderr, /secrets is forbidden: kubegate policy/);

  t.same(cluster.api.requests.all.filter((r) => r.requestInfo.verb === 'delete' || r.requestInfo.resource === 'secrets' || r.requestInfo.namespace === 'kube-system').map((r) => r.url), [], 'no refused request reached the API server');
  // -v=3: each refusal logged with its rule; the metrics count it by rule.
  t.match(proxy.stderr(), /"rule":"--policy","msg":"Policy refusing DELETE \/api\/v1\/namespaces\/default\/configmaps\/kube-root-ca: configmaps \\"kube-root-ca\\" is forbidden: kubegate policy/);
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  t.match(metrics, /kubegate_policy_denied_total\{rule="--policy"\} 3\n/);
});

t.test('an upgrade the file does not grant (kubectl exec) is refused before any byte goes upstream', async (t) => {
  const cluster = await startTestCluster(t);
  const { podName } = seedDemoCluster(cluster.api.store);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  // The default --reject-paths would refuse exec first: this is the policy's refusal alone.
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--reject-paths=^$', '--policy', EXAMPLE], { env });
  const exec = await runCommand(kubectl, ['-s', proxy.url, 'exec', podName, '--', 'ls'], { env });
  t.not(exec.status, 0);
  t.match(exec.stderr, new RegExp(`pods "${podName}" is forbidden: kubegate policy \\(--policy .*policy-read-pods\\.yaml\\) does not allow (get|create) on resource "pods/exec" in API group "" in the namespace "default"`));
  t.same(cluster.api.requests.all.filter((r) => r.requestInfo.subresource === 'exec').map((r) => r.url), [], 'no exec request reached the API server');
});

t.test('a typo in the file: one warning at start from the cluster\'s discovery, and kubegate serves on', async (t) => {
  const cluster = await startTestCluster(t);
  const dir = t.testdir({
    'typo.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  - nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*"]\n    verbs: [get]\n  - apiGroups: [""]\n    resources: [pod, configmaps]\n    verbs: [get, list]\n  - apiGroups: [app]\n    resources: [deployments]\n    verbs: [get]\n',
  });
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--policy', 'typo.yaml'], { env: { HOME: cluster.dir, KUBECONFIG: undefined }, cwd: dir });
  await waitUntil(() => proxy.stderr().includes('rules[2].apiGroups'), 'the discovery warnings');
  t.match(proxy.stderr(), /"msg":"typo\.yaml: rules\[1\]\.resources: \\"pod\\" is not a resource the cluster serves in API group \\"\\" \(did you mean \\"pods\\"\?\)"/);
  t.match(proxy.stderr(), /"msg":"typo\.yaml: rules\[2\]\.apiGroups: \\"app\\" is not an API group the cluster serves \(did you mean \\"apps\\"\?\)"/);
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/configmaps`)).status, 200, 'still serving what the file allows');
  const check = cluster.api.requests.all.filter((r) => String(r.headers['user-agent']).endsWith(' policy-check'));
  t.same(check.map((r) => r.path).sort(), ['/api', '/api/v1', '/apis'], 'discovery read once, only the groups the file names (the core group; "app" is not served)');
  t.ok(check.every((r) => r.user?.name === 'alice-admin'), "with kubegate's own credential");
});

t.test('with --contexts: each context\'s discovery is checked on its first request, each warning naming its context', async (t) => {
  const dir = t.testdir({
    'typo.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  - nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*"]\n    verbs: [get]\n  - apiGroups: [""]\n    resources: [pod, configmaps]\n    verbs: [get, list]\n',
  });
  const proxy = await startKubegate(t, ['--demo', '--contexts=east,west', '--port=0', '--policy', 'typo.yaml'], { cwd: dir });
  const warning = (context: string): RegExp => new RegExp(`"context":"${context}".*"msg":"typo\\.yaml: rules\\[1\\]\\.resources: \\\\"pod\\\\" is not a resource the cluster serves in API group \\\\"\\\\" \\(did you mean \\\\"pods\\\\"\\?\\)"`);
  t.equal((await fetch(`${proxy.url}/clusters/east/api/v1/namespaces/default/configmaps`)).status, 200, 'east serves what the file allows');
  await waitUntil(() => warning('east').test(proxy.stderr()), 'the warning for east');
  t.notMatch(proxy.stderr(), /"context":"west"[^\n]*is not a resource/, 'west, not used yet, was not asked');
  t.equal((await fetch(`${proxy.url}/clusters/west/api/v1/namespaces/default/configmaps`)).status, 200);
  await waitUntil(() => warning('west').test(proxy.stderr()), 'the warning for west, on its first request');
  t.equal(proxy.stderr().match(/is not a resource the cluster serves/g)?.length, 2, 'once per context');
});

t.test('discovery unreachable: start-up neither fails nor waits, and -v=2 says the file was not checked', async (t) => {
  const port = await freePort();
  const proxy = await startKubegate(t, ['--server', `http://127.0.0.1:${port}`, '--port=0', '--policy', EXAMPLE, '-v=2'], { env: { KUBECONFIG: '/dev/null' } });
  await waitUntil(() => proxy.stderr().includes('not checked'), 'the not-checked line');
  t.match(proxy.stderr(), /policy-read-pods\.yaml: the cluster's discovery could not be read, so the policy's API groups and resources were not checked for typos: /);
  t.notMatch(proxy.stderr(), /\n\s+at .+:\d+:\d+/, 'no stack trace');
});

t.test('errors in the file: exit 1, one "error: FILE: field: ..." line (every problem, one per line, when there are several), no stack trace', async (t) => {
  const rules = (text: string): string => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n${text}`;
  const dir = t.testdir({
    'verbs.yaml': rules('  - apiGroups: [""]\n    resources: [pods]\n    verbs: [get]\n  - apiGroups: [""]\n    resources: [pods]\n    verbs: [get]\n  - apiGroups: [""]\n    resources: [pods]\n'),
    'misspelt.yaml': rules('  - apiGroups: [""]\n    resources: [configmaps]\n    resourceName: [app]\n    verbs: [get]\n'),
    'list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: Role\n    rules: []\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRole\n    rules:\n      - resources: [pods]\n        verbs: [get]\n`,
    'binding.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n',
    'role-urls.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nrules:\n  - nonResourceURLs: ["/healthz"]\n    verbs: [get]\n',
    'broken.yaml': 'rules: [\n',
    'several.yaml': rules('  - apiGroups: [""]\n    resources: [pods]\n  - resources: [configmaps]\n    resourceName: [app]\n    verbs: [get]\n'),
  });
  const cases: readonly (readonly [string, string])[] = [
    ['verbs.yaml', 'error: verbs.yaml: rules[2].verbs: Required value: verbs must contain at least one value\n'],
    ['misspelt.yaml', 'error: misspelt.yaml: rules[0].resourceName: unknown field (did you mean "resourceNames"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs\n'],
    ['list.yaml', 'error: list.yaml: items[1].rules[0].apiGroups: Required value: resource rules must supply at least one api group (the core group, of pods and secrets, is "")\n'],
    ['binding.yaml', 'error: binding.yaml: kind: "RoleBinding": expected Role, ClusterRole or List: a binding says who holds a role; give kubegate the role itself\n'],
    ['role-urls.yaml', 'error: role-urls.yaml: rules[0].nonResourceURLs: namespaced rules cannot apply to non-resource URLs (a Role cannot grant them; use a ClusterRole)\n'],
    ['broken.yaml', 'error: broken.yaml: yaml: line 2: Flow sequence in block collection must be sufficiently indented and end with a ]\n'],
    ['missing.yaml', 'error: missing.yaml: cannot read the --policy file: no such file\n'],
    [
      'several.yaml',
      'error: several.yaml: 3 problems:\n' +
        '  rules[0].verbs: Required value: verbs must contain at least one value\n' +
        '  rules[1].resourceName: unknown field (did you mean "resourceNames"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs\n' +
        '  rules[1].apiGroups: Required value: resource rules must supply at least one api group (the core group, of pods and secrets, is "")\n',
    ],
  ];
  for (const [file, message] of cases) {
    const result = runKubegate(['--server', 'https://127.0.0.1:1', '--port=0', `--policy=${file}`], { cwd: dir });
    t.equal(result.status, 1, `${file}: exit 1`);
    t.equal(result.stderr, message, `${file}: the message alone`);
    t.equal(result.stdout, '', `${file}: never started serving`);
  }
  const empty = runKubegate(['--server', 'https://127.0.0.1:1', '--policy=']);
  t.equal(empty.status, 1);
  t.equal(empty.stderr, 'error: invalid --policy "": name a Role or ClusterRole YAML file, for example --policy=config/policy-read-pods.yaml\n');
});

t.test('the policy and the presets: both must allow', async (t) => {
  const cluster = await startTestCluster(t);
  seedDemoCluster(cluster.api.store);
  const dir = t.testdir({});
  const file = join(dir, 'writer.yaml');
  writeFileSync(file, 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  - apiGroups: [""]\n    resources: [configmaps, secrets]\n    verbs: ["*"]\n');
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '--policy', file, '--read-only', '--deny-secrets'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const answer = async (method: string, path: string): Promise<string> => {
    const response = await fetch(`${proxy.url}${path}`, { method });
    return response.status === 403 ? ((await response.json()) as { message: string }).message : String(response.status);
  };
  t.equal(await answer('GET', '/api/v1/namespaces/default/configmaps'), '200');
  t.match(await answer('DELETE', '/api/v1/namespaces/default/configmaps/x'), /kubegate policy \(--read-only\)/);
  t.match(await answer('GET', '/api/v1/namespaces/default/secrets'), /kubegate policy \(--deny-secrets\)/);
  t.match(await answer('GET', '/api/v1/namespaces/default/pods'), /kubegate policy \(--policy .*writer\.yaml\)/);
});
