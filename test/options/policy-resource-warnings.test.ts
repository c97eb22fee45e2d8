import t from 'tap';
import { apiGroupListDocument, apiResourceListDocument, apiVersionsDocument } from '../../src/demo-cluster/resources.js';
import { join } from 'node:path';
import { loadPolicyFile, parsePolicyFile } from '../../src/options/policy-file.js';
import { policyApiGroups, warnAboutPolicyResources } from '../../src/options/policy-resource-warnings.js';
import type { DiscoveryGet } from '../../src/upstream/discovery.js';
import { repoRoot } from '../fixtures/paths.js';

// Discovery as the test API server answers it (the same documents), recorded so a test can see what was asked.
function demoDiscovery(asked: string[]): DiscoveryGet {
  return async (path) => {
    asked.push(path);
    if (path === '/api') return apiVersionsDocument('127.0.0.1:6443');
    if (path === '/apis') return apiGroupListDocument();
    const [, group = '', version = ''] = /^\/apis?\/(?:([^/]+)\/)?([^/]+)$/.exec(path) ?? [];
    const document = apiResourceListDocument(path.startsWith('/apis/') ? group : '', version);
    if (document === undefined) throw new Error(`GET ${path} answered 404`);
    return document;
  };
}

const DISCOVERY_RULE = '  - nonResourceURLs: ["/api", "/apis"]\n    verbs: [get]\n';

/** A ClusterRole with these rules, and discovery (without which the one warning is about discovery). */
function clusterRole(rules: string): string {
  return `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n${rules}${DISCOVERY_RULE}`;
}

async function warnings(text: string, get: DiscoveryGet = demoDiscovery([])): Promise<{ warned: string[]; unchecked: string[] }> {
  const warned: string[] = [];
  const unchecked: string[] = [];
  await warnAboutPolicyResources(parsePolicyFile(text, 'p.yaml'), get, { warn: (message) => warned.push(message), unchecked: (message) => unchecked.push(message) });
  return { warned, unchecked };
}

t.test('a policy whose names the cluster serves: no warning, and only the named groups are read', async (t) => {
  const asked: string[] = [];
  const text = clusterRole('  - apiGroups: ["", apps]\n    resources: [pods, pods/log, deployments, "*/status"]\n    verbs: [get]\n  - apiGroups: ["*"]\n    resources: [anything]\n    verbs: [get]\n  - nonResourceURLs: ["/version"]\n    verbs: [get]\n');
  t.same(await warnings(text, demoDiscovery(asked)), { warned: [], unchecked: [] });
  t.same(asked.sort(), ['/api', '/api/v1', '/apis', '/apis/apps/v1']);
  t.same([...policyApiGroups(parsePolicyFile(text, 'p'))].sort(), ['', 'apps']);
});

t.test('typos: each named with its place in the file and the likely intended name', async (t) => {
  const text = clusterRole(
    [
      '  - apiGroups: [""]\n    resources: [pod, Deployments, po, pods/lgo, configmap, widgets]\n    verbs: [get]',
      '  - apiGroups: [app, core]\n    resources: [deployments]\n    verbs: [get]',
      '  - apiGroups: [""]\n    resources: [deployments]\n    verbs: [get]',
      '  - apiGroups: [apps]\n    resources: [deployments, deploy]\n    verbs: [get]',
    ].join('\n') + '\n',
  );
  const { warned } = await warnings(text);
  t.same(warned, [
    'p.yaml: rules[0].resources: "pod" is not a resource the cluster serves in API group "" (did you mean "pods"?)',
    'p.yaml: rules[0].resources: "Deployments" is not a resource the cluster serves in API group "" (did you mean "deployments" in API group "apps"?)',
    'p.yaml: rules[0].resources: "po" is not a resource the cluster serves in API group "" (did you mean "pods"?)',
    'p.yaml: rules[0].resources: "pods/lgo" is not a resource the cluster serves in API group "" (did you mean "pods/log"?)',
    'p.yaml: rules[0].resources: "configmap" is not a resource the cluster serves in API group "" (did you mean "configmaps"?)',
    'p.yaml: rules[0].resources: "widgets" is not a resource the cluster serves in API group ""',
    'p.yaml: rules[1].apiGroups: "app" is not an API group the cluster serves (did you mean "apps"?)',
    'p.yaml: rules[1].apiGroups: "core" is not an API group the cluster serves (the core group, of pods and secrets, is "")',
    'p.yaml: rules[2].resources: "deployments" is not a resource the cluster serves in API group "" (it is in API group "apps")',
    'p.yaml: rules[3].resources: "deploy" is not a resource the cluster serves in API group "apps" (did you mean "deployments"?)',
  ]);
});

t.test('in a List, the warning names the item', async (t) => {
  const text = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: Role\n    rules:\n      - apiGroups: [""]\n        resources: [pod]\n        verbs: [get]\n`;
  t.same((await warnings(text)).warned, [
    'p.yaml: no rule allows get on /api and /apis (discovery), so kubectl and client-go fail before their first request; add a ClusterRole rule with nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/version", "/openapi/*"] and verbs: ["get"], as the cluster\'s system:discovery role grants',
    'p.yaml: items[0].rules[0].resources: "pod" is not a resource the cluster serves in API group "" (did you mean "pods"?)',
  ]);
});

t.test('discovery that cannot be read: one "not checked" report, no warning, no rejection', async (t) => {
  const unreachable: DiscoveryGet = async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
  };
  t.same(await warnings(clusterRole('  - apiGroups: [""]\n    resources: [pod]\n    verbs: [get]\n'), unreachable), {
    warned: [],
    unchecked: ["p.yaml: the cluster's discovery could not be read, so the policy's API groups and resources were not checked for typos: connect ECONNREFUSED 127.0.0.1:6443"],
  });
});

t.test('config/policy-read-pods.yaml, the README\'s example: valid, with discovery, and every name served', async (t) => {
  const policy = loadPolicyFile(join(repoRoot, 'config', 'policy-read-pods.yaml'), 'config/policy-read-pods.yaml');
  t.same(policy.roles.map((role) => [role.kind, role.namespace]), [['Role', 'default'], ['ClusterRole', undefined]]);
  const warned: string[] = [];
  await warnAboutPolicyResources(policy, demoDiscovery([]), { warn: (message) => warned.push(message), unchecked: (message) => warned.push(message) });
  t.same(warned, []);
});
