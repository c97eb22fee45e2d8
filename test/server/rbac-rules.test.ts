import t from 'tap';
import { roleApplies, rolesAllow, ruleAllows, type PolicyRole, type PolicyRule, type RolePolicy } from '../../src/server/rbac-rules.js';
import { readRequestInfo, type RequestInfo } from '../../src/server/request-info.js';

// RBAC's matching, case by case as kube-apiserver's own rule tests exercise it (rbac_test.go's
// TestRuleMatches and TestAuthorizer), in our words: verbs, groups, resources and subresources,
// names, non-resource URLs and their trailing-star prefix form, and a Role's namespace.

const rule = (fields: Partial<PolicyRule>): PolicyRule => ({ verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...fields });

function resourceRequest(verb: string, apiGroup: string, resource: string, extra: Partial<RequestInfo> = {}): RequestInfo {
  return { isResourceRequest: true, path: '', verb, apiGroup, apiVersion: 'v1', namespace: 'ns1', resource, subresource: '', name: '', ...extra };
}
function urlRequest(verb: string, path: string): RequestInfo {
  return { isResourceRequest: false, path, verb, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
}

interface Case {
  readonly name: string;
  readonly rule: PolicyRule;
  readonly requests: readonly (readonly [RequestInfo, boolean])[];
}

const CASES: readonly Case[] = [
  {
    name: 'a star verb matches any verb; group and resource must still match',
    rule: rule({ verbs: ['*'], apiGroups: ['group1'], resources: ['resource1'] }),
    requests: [
      [resourceRequest('verb1', 'group1', 'resource1'), true],
      [resourceRequest('verb2', 'group1', 'resource1'), true],
      [resourceRequest('verb1', 'group2', 'resource1'), false],
      [resourceRequest('verb1', 'group1', 'resource2'), false],
    ],
  },
  {
    name: 'a star group matches any group',
    rule: rule({ verbs: ['verb1'], apiGroups: ['*'], resources: ['resource1'] }),
    requests: [
      [resourceRequest('verb1', 'group1', 'resource1'), true],
      [resourceRequest('verb1', 'group2', 'resource1'), true],
      [resourceRequest('verb2', 'group1', 'resource1'), false],
      [resourceRequest('verb1', 'group1', 'resource2'), false],
    ],
  },
  {
    name: 'a star resource matches every resource, and its subresources',
    rule: rule({ verbs: ['verb1'], apiGroups: ['group1'], resources: ['*'] }),
    requests: [
      [resourceRequest('verb1', 'group1', 'resource1'), true],
      [resourceRequest('verb1', 'group1', 'resource2', { subresource: 'status' }), true],
      [resourceRequest('verb1', 'group2', 'resource1'), false],
      [resourceRequest('verb2', 'group1', 'resource1'), false],
    ],
  },
  {
    name: 'every verb, group and resource of a rule combine with each other',
    rule: rule({ verbs: ['verb1', 'verb2'], apiGroups: ['group1', 'group2'], resources: ['resource1', 'resource2'] }),
    requests: [
      [resourceRequest('verb1', 'group1', 'resource1'), true],
      [resourceRequest('verb2', 'group2', 'resource2'), true],
      [resourceRequest('verb1', 'group2', 'resource1'), true],
      [resourceRequest('verb3', 'group1', 'resource1'), false],
    ],
  },
  {
    name: 'a resource does not grant its subresources, nor a subresource its resource',
    rule: rule({ verbs: ['*'], apiGroups: ['*'], resources: ['pods'] }),
    requests: [
      [resourceRequest('get', '', 'pods'), true],
      [resourceRequest('get', '', 'pods', { subresource: 'status' }), false],
      [resourceRequest('create', '', 'pods', { subresource: 'exec' }), false],
    ],
  },
  {
    name: 'resource/subresource matches exactly that pair',
    rule: rule({ verbs: ['*'], apiGroups: ['*'], resources: ['resource1/subresource1'] }),
    requests: [
      [resourceRequest('verb1', 'group1', 'resource1', { subresource: 'subresource1' }), true],
      [resourceRequest('verb1', 'group1', 'resource1', { subresource: 'subresource2' }), false],
      [resourceRequest('verb1', 'group1', 'resource2', { subresource: 'subresource1' }), false],
      [resourceRequest('verb1', 'group1', 'resource1'), false],
    ],
  },
  {
    name: 'star/subresource matches that subresource of any resource, never the resource itself',
    rule: rule({ verbs: ['get'], apiGroups: ['*'], resources: ['*/status'] }),
    requests: [
      [resourceRequest('get', '', 'pods', { subresource: 'status' }), true],
      [resourceRequest('get', 'apps', 'deployments', { subresource: 'status' }), true],
      [resourceRequest('get', '', 'pods', { subresource: 'log' }), false],
      [resourceRequest('get', '', 'pods'), false],
      [resourceRequest('get', '', 'status'), false],
    ],
  },
  {
    name: 'RBAC has no resource/star form: pods/* names nothing but a resource literally so called',
    rule: rule({ verbs: ['*'], apiGroups: [''], resources: ['pods/*'] }),
    requests: [
      [resourceRequest('get', '', 'pods', { subresource: 'log' }), false],
      [resourceRequest('get', '', 'pods'), false],
    ],
  },
  {
    name: 'resourceNames: only requests that name one of them; a list, a create, a deletecollection never',
    rule: rule({ verbs: ['*'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'] }),
    requests: [
      [resourceRequest('get', '', 'configmaps', { name: 'app-config' }), true],
      [resourceRequest('delete', '', 'configmaps', { name: 'app-config' }), true],
      [resourceRequest('get', '', 'configmaps', { name: 'other' }), false],
      [resourceRequest('list', '', 'configmaps'), false],
      [resourceRequest('create', '', 'configmaps'), false],
      [resourceRequest('deletecollection', '', 'configmaps'), false],
    ],
  },
  {
    name: 'a star non-resource URL matches every path for its verbs',
    rule: rule({ verbs: ['verb1'], nonResourceURLs: ['*'] }),
    requests: [
      [urlRequest('verb1', '/foo'), true],
      [urlRequest('verb1', '/foo/bar/one'), true],
      [urlRequest('verb2', '/foo'), false],
    ],
  },
  {
    name: 'a trailing star is a prefix: /foo/* matches under /foo/, never /foo itself nor /notfoo',
    rule: rule({ verbs: ['verb1'], nonResourceURLs: ['/foo/*'] }),
    requests: [
      [urlRequest('verb1', '/foo/bar'), true],
      [urlRequest('verb1', '/foo/baz/one'), true],
      [urlRequest('verb1', '/foo'), false],
      [urlRequest('verb1', '/notfoo/bar'), false],
    ],
  },
  {
    name: 'exact non-resource URLs match only themselves; a star verb any verb',
    rule: rule({ verbs: ['*'], nonResourceURLs: ['/foo', '/foo/bar/one'] }),
    requests: [
      [urlRequest('verb1', '/foo'), true],
      [urlRequest('verb2', '/foo/bar/one'), true],
      [urlRequest('verb1', '/foo/bar'), false],
      [urlRequest('verb1', '/foo/baz/one'), false],
    ],
  },
  {
    name: 'a resource rule never matches a non-resource request, nor a URL rule a resource request',
    rule: rule({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }),
    requests: [
      [urlRequest('get', '/healthz'), false],
      [resourceRequest('get', '', 'pods'), true],
    ],
  },
];

for (const entry of CASES) {
  t.test(entry.name, async (t) => {
    for (const [request, expected] of entry.requests) {
      t.equal(ruleAllows(entry.rule, request), expected, `${request.verb} ${request.isResourceRequest ? `${request.apiGroup}/${request.resource}${request.subresource ? `/${request.subresource}` : ''} name=${request.name}` : request.path}`);
    }
  });
}

t.test('a non-resource rule next to resource fields matches only paths', async (t) => {
  t.notOk(ruleAllows(rule({ verbs: ['get'], nonResourceURLs: ['/apis'] }), urlRequest('watch', '/apis')), 'wrong verb');
  t.notOk(ruleAllows(rule({ verbs: ['get'], nonResourceURLs: ['/apis'] }), urlRequest('get', '/api/v1')), 'wrong path');
  t.ok(ruleAllows(rule({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }), urlRequest('get', '/apis/v1')));
});

const everything = rule({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
const role = (kind: PolicyRole['kind'], namespace: string | undefined, rules: PolicyRule[] = [everything]): PolicyRole => ({ kind, name: 'r', namespace, rules, where: '' });

t.test('a Role grants only in its own namespace, as a RoleBinding there would; never cluster-wide', async (t) => {
  const inNs1 = role('Role', 'ns1');
  t.ok(roleApplies(inNs1, resourceRequest('get', '', 'pods', { namespace: 'ns1' })));
  t.notOk(roleApplies(inNs1, resourceRequest('get', '', 'pods', { namespace: 'ns2' })), 'another namespace');
  t.notOk(roleApplies(inNs1, resourceRequest('get', '', 'nodes', { namespace: '' })), 'a cluster-scoped resource');
  t.notOk(roleApplies(inNs1, resourceRequest('list', '', 'pods', { namespace: '' })), 'across all namespaces');
  t.notOk(roleApplies(inNs1, urlRequest('get', '/healthz')), 'a non-resource URL');
  const anyNamespace = role('Role', undefined);
  t.ok(roleApplies(anyNamespace, resourceRequest('get', '', 'pods', { namespace: 'team-a' })), 'a Role with no namespace: any one namespace');
  t.notOk(roleApplies(anyNamespace, resourceRequest('list', '', 'pods', { namespace: '' })), '...but never across them');
  t.ok(roleApplies(role('ClusterRole', undefined), resourceRequest('list', '', 'pods', { namespace: '' })), 'a ClusterRole applies everywhere');
});

t.test('rolesAllow: some rule of some role in force; read through RequestInfo as the server sees the request', async (t) => {
  const pods = rule({ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'configmaps'] });
  const policy: RolePolicy = { file: 'p.yaml', roles: [role('Role', 'default', [pods]), role('ClusterRole', undefined, [rule({ verbs: ['get'], nonResourceURLs: ['/version', '/apis/*'] })])] };
  const allows = (method: string, url: string): boolean => {
    const [path = '', query = ''] = url.split('?');
    return rolesAllow(policy, readRequestInfo(method, path, new URLSearchParams(query)));
  };
  t.ok(allows('GET', '/api/v1/namespaces/default/pods'));
  t.ok(allows('GET', '/api/v1/namespaces/default/pods?watch=true'));
  t.ok(allows('GET', '/api/v1/watch/namespaces/default/configmaps/c'));
  t.ok(allows('GET', '/version'));
  t.ok(allows('GET', '/apis/apps/v1'), 'discovery under /apis/');
  t.notOk(allows('GET', '/apis'), '/apis/* is not /apis');
  t.notOk(allows('GET', '/api/v1/pods'), 'across namespaces');
  t.notOk(allows('GET', '/api/v1/namespaces/kube-system/pods'), 'another namespace');
  t.notOk(allows('DELETE', '/api/v1/namespaces/default/pods/p'), 'a verb not granted');
  t.notOk(allows('GET', '/api/v1/namespaces/default/pods/p/log'), 'a subresource not granted');
  t.notOk(allows('GET', '/api/v1/namespaces/default/secrets'), 'a resource not granted');
  t.notOk(allows('POST', '/version'), 'a non-resource verb not granted');
});
