import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKubegateError } from '../../src/errors.js';
import { loadPolicyFile, parsePolicyFile } from '../../src/options/policy-file.js';
import { repoRoot } from '../fixtures/paths.js';

const ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: read-pods
  namespace: team-a
rules:
  - apiGroups: [""]
    resources: ["pods", "pods/log"]
    verbs: ["get", "list", "watch"]
`;

const CLUSTER_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: discovery
rules:
  - nonResourceURLs: ["/version", "/apis/*"]
    verbs: ["get"]
  - apiGroups: ["apps"]
    resources: ["deployments"]
    resourceNames: ["web"]
    verbs: ["get"]
`;

/** The message a bad file fails with (the CLI prints it after `error: `). */
function failure(text: string): string {
  try {
    parsePolicyFile(text, 'policy.yaml');
  } catch (error) {
    if (!isKubegateError(error)) throw error;
    if (error.code !== 'KG_ERR_POLICY') throw new Error(`unexpected code ${error.code}`);
    return error.message;
  }
  return 'no error';
}

t.test('a Role: its rules, and its namespace', async (t) => {
  const policy = parsePolicyFile(ROLE, 'policy.yaml');
  t.same(policy.roles, [
    { kind: 'Role', name: 'read-pods', namespace: 'team-a', where: '', rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'pods/log'], resourceNames: [], nonResourceURLs: [] }] },
  ]);
});

t.test('a ClusterRole with non-resource URLs and resource names', async (t) => {
  const [role] = parsePolicyFile(CLUSTER_ROLE, 'policy.yaml').roles;
  t.equal(role?.kind, 'ClusterRole');
  t.equal(role?.namespace, undefined);
  t.same(role?.rules.map((rule) => [rule.nonResourceURLs, rule.resourceNames]), [[['/version', '/apis/*'], []], [[], ['web']]]);
});

t.test('several YAML documents, and a kind: List, as kubectl get -o yaml writes it', async (t) => {
  t.same(parsePolicyFile(`${ROLE}---\n${CLUSTER_ROLE}---\n`, 'p').roles.map((role) => [role.kind, role.where]), [['Role', 'document 1: '], ['ClusterRole', 'document 2: ']]);
  const list = `apiVersion: v1\nkind: List\nitems:\n${[ROLE, CLUSTER_ROLE].map((doc) => `  - ${doc.trimEnd().split('\n').join('\n    ')}`).join('\n')}\n`;
  t.same(parsePolicyFile(list, 'p').roles.map((role) => [role.kind, role.name, role.where]), [['Role', 'read-pods', 'items[0].'], ['ClusterRole', 'discovery', 'items[1].']]);
});

t.test('errors name the file and the field path, in RBAC\'s words where RBAC has them', async (t) => {
  const rules = (text: string): string => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n${text}`;
  const cases: readonly (readonly [string, string])[] = [
    [rules('  - apiGroups: [""]\n    resources: [pods]\n'), 'policy.yaml: rules[0].verbs: Required value: verbs must contain at least one value'],
    [rules('  - apiGroups: [""]\n    resources: [pods]\n    verbs: []\n'), 'policy.yaml: rules[0].verbs: Required value: verbs must contain at least one value'],
    [rules('  - apiGroups: [""]\n    resources: [pods]\n    verbs: get\n'), 'policy.yaml: rules[0].verbs: expected a list of strings, got a string ("get") (write verbs: ["get"])'],
    [rules('  - apiGroups: [""]\n    resources: [pods]\n    verbs: [get, 3]\n'), 'policy.yaml: rules[0].verbs[1]: expected a string, got a number (3)'],
    [rules('  - apiGroups: [""]\n    resources: [configmaps]\n    resourceName: [a]\n    verbs: [get]\n'), 'policy.yaml: rules[0].resourceName: unknown field (did you mean "resourceNames"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs'],
    [rules('  - resources: [pods]\n    verbs: [get]\n'), 'policy.yaml: rules[0].apiGroups: Required value: resource rules must supply at least one api group (the core group, of pods and secrets, is "")'],
    [rules('  - apiGroups: [""]\n    verbs: [get]\n'), 'policy.yaml: rules[0].resources: Required value: resource rules must supply at least one resource'],
    [rules('  - nonResourceURLs: [/healthz]\n    resources: [pods]\n    verbs: [get]\n'), 'policy.yaml: rules[0].nonResourceURLs: rules cannot apply to both regular resources and non-resource URLs: split it in two rules'],
    [rules('  - verbs: [get]\n    apiGroups: [""]\n    resources: [pods]\n  - verbs: [get]\n    apiGroups: [""]\n    resources: [pods]\n  - verbs: yes\n    apiGroups: [""]\n    resources: [pods]\n'), 'policy.yaml: rules[2].verbs: expected a list of strings, got a boolean (true)'],
    [rules('  - verbs: [get, on]\n    apiGroups: [""]\n    resources: [pods]\n'), 'policy.yaml: rules[0].verbs[1]: expected a string, got a boolean (true) (YAML 1.1 reads unquoted yes/no/on/off/y/n as booleans: quote it)'],
    [rules('  - pods\n'), 'policy.yaml: rules[0]: expected a map, got a string ("pods")'],
    // go-yaml ignores the YAML 1.1 collection tags: an !!omap rule is the list it is written as (it read as an empty rule).
    [rules('  - !!omap [{apiGroups: [""]}, {resources: [pods]}, {verbs: [get]}]\n'), 'policy.yaml: rules[0]: expected a map, got a list'],
    [rules('  - apiGroups: [""]\n    resources: [pods]\n    verbs: !!set {get, list}\n'), 'policy.yaml: rules[0].verbs: expected a list of strings, got a map'],
    // A misspelt field is one problem: what it was taken for is not also reported missing.
    [rules('  - apiGroups: [""]\n    resources: [pods]\n    verb: [get]\n'), 'policy.yaml: rules[0].verb: unknown field (did you mean "verbs"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs'],
    [rules('  - nonResourceURL: [/healthz]\n    verbs: [get]\n'), 'policy.yaml: rules[0].nonResourceURL: unknown field (did you mean "nonResourceURLs"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs'],
    [rules('  - apiGroups: [""]\n    resource: [pods]\n    verbs: [get]\n'), 'policy.yaml: rules[0].resource: unknown field (did you mean "resources"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs'],
    ['apiversion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  - nonResourceURLs: [/healthz]\n    verbs: [get]\n', 'policy.yaml: apiversion: unknown field (did you mean "apiVersion"?); a ClusterRole has apiVersion, kind, metadata, rules, aggregationRule'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  verbs: [get]\n`, 'policy.yaml: rules: expected a list of rules, got a map'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {namespace: a}\nrules:\n  - nonResourceURLs: ["/healthz"]\n    verbs: [get]\n`, 'policy.yaml: rules[0].nonResourceURLs: namespaced rules cannot apply to non-resource URLs (a Role cannot grant them; use a ClusterRole)'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n`, 'policy.yaml: kind: "RoleBinding": expected Role, ClusterRole or List: a binding says who holds a role; give kubegate the role itself'],
    [`kind: Role\nrules: []\n`, 'policy.yaml: apiVersion: a Role is apiVersion rbac.authorization.k8s.io/v1, got none'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {namespace: a}\nrules: []\n`, 'policy.yaml: metadata.namespace: a ClusterRole is cluster-wide and a namespace does not restrict it: use a Role for one namespace'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\naggregationRule: {clusterRoleSelectors: [{}]}\n`, 'policy.yaml: aggregationRule: kubegate cannot aggregate ClusterRoles (the cluster fills in their rules): list the rules themselves'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrule: []\n`, 'policy.yaml: rule: unknown field (did you mean "rules"?); a ClusterRole has apiVersion, kind, metadata, rules, aggregationRule'],
    [`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules: []\n`, 'policy.yaml: the policy grants nothing: no Role or ClusterRole in it has a rule, so kubegate would refuse every request'],
    ['', 'policy.yaml: the policy grants nothing: no Role or ClusterRole in it has a rule, so kubegate would refuse every request'],
    ['- a\n- b\n', 'policy.yaml: expected a map, got a list'],
    ['kind: [Role\n', 'policy.yaml: yaml: line 2: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    [`apiVersion: v1\nkind: List\nitems:\n  - ${ROLE.trimEnd().split('\n').join('\n    ')}\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRole\n    rules:\n      - apiGroups: [apps]\n        verbs: [get]\n`, 'policy.yaml: items[1].rules[0].resources: Required value: resource rules must supply at least one resource'],
    [`apiVersion: v1\nkind: List\nitems:\n  - kind: List\n`, 'policy.yaml: items[0].kind: "List": expected Role or ClusterRole'],
    [`apiVersion: v1\nkind: List\n`, 'policy.yaml: items: expected a list of Roles and ClusterRoles, got nothing'],
    [`${ROLE}---\n${ROLE.replace('verbs: ["get", "list", "watch"]', 'verbs: [get]\n    resourceNames: x')}`, 'policy.yaml: document 2: rules[0].resourceNames: expected a list of strings, got a string ("x") (write resourceNames: ["x"])'],
  ];
  for (const [text, message] of cases) t.equal(failure(text), message, message);
});

t.test('every problem of the file is reported at once, each with its place, as kubectl apply lists every invalid field', async (t) => {
  const text = [
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: ClusterRole',
    'metadata: {name: a, namespace: x}',
    'rules:',
    '  - apiGroups: [""]',
    '    resources: [pods]',
    '    verbs: [get]',
    '  - verbs: yes',
    '  - apiGroups: [""]',
    '    resourceName: [a]',
    '    resources: [configmaps]',
    '    verbs: [get, on]',
    '  - pods',
    '---',
    'apiVersion: rbac.authorization.k8s.io/v1beta1',
    'kind: Role',
    'rules:',
    '  - nonResourceURLs: [/healthz]',
    '    verbs: [get]',
    '---',
    'kind: RoleBinding',
    '',
  ].join('\n');
  t.equal(
    failure(text),
    [
      'policy.yaml: 10 problems:',
      '  document 1: metadata.namespace: a ClusterRole is cluster-wide and a namespace does not restrict it: use a Role for one namespace',
      '  document 1: rules[1].verbs: expected a list of strings, got a boolean (true)',
      '  document 1: rules[1].apiGroups: Required value: resource rules must supply at least one api group (the core group, of pods and secrets, is "")',
      '  document 1: rules[1].resources: Required value: resource rules must supply at least one resource',
      '  document 1: rules[2].resourceName: unknown field (did you mean "resourceNames"?); a rule has verbs, apiGroups, resources, resourceNames, nonResourceURLs',
      '  document 1: rules[2].verbs[1]: expected a string, got a boolean (true) (YAML 1.1 reads unquoted yes/no/on/off/y/n as booleans: quote it)',
      '  document 1: rules[3]: expected a map, got a string ("pods")',
      '  document 2: apiVersion: a Role is apiVersion rbac.authorization.k8s.io/v1, got "rbac.authorization.k8s.io/v1beta1"',
      '  document 2: rules[0].nonResourceURLs: namespaced rules cannot apply to non-resource URLs (a Role cannot grant them; use a ClusterRole)',
      '  document 3: kind: "RoleBinding": expected Role, ClusterRole or List: a binding says who holds a role; give kubegate the role itself',
    ].join('\n'),
  );
});

t.test('loadPolicyFile reads the file and names it as the user gave it', async (t) => {
  const dir = t.testdir({ 'role.yaml': ROLE, 'bad.yaml': 'kind: Role\n' });
  t.equal(loadPolicyFile(join(dir, 'role.yaml'), 'role.yaml').file, 'role.yaml');
  t.throws(() => loadPolicyFile(join(dir, 'missing.yaml'), 'missing.yaml'), { code: 'KG_ERR_POLICY', message: 'missing.yaml: cannot read the --policy file: no such file' });
  t.throws(() => loadPolicyFile(dir, 'dir'), { code: 'KG_ERR_POLICY', message: 'dir: cannot read the --policy file: is a directory, not a file' });
  t.throws(() => loadPolicyFile(join(dir, 'bad.yaml'), 'bad.yaml'), { code: 'KG_ERR_POLICY', message: /^bad\.yaml: apiVersion: / });
});

t.test('the README\'s runnable policy is config/policy-read-pods.yaml, role for role', async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const inline = /cat > policy\.yaml <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(readme)?.[1];
  t.ok(inline, 'the README writes policy.yaml');
  const shipped = loadPolicyFile(join(repoRoot, 'config', 'policy-read-pods.yaml'), 'p').roles;
  t.same(parsePolicyFile(inline ?? '', 'p').roles, shipped);
});
