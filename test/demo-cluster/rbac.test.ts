import t from 'tap';
import { rbacAuthorizer } from '../../src/demo-cluster/rbac.js';
import { ANONYMOUS, type UserInfo } from '../../src/demo-cluster/authn.js';
import { demoIdentity } from '../../src/demo-cluster/demo-cluster.js';
import { parseRequestInfo } from '../../src/demo-cluster/request-info.js';
import { findResourceType, type ResourceType } from '../../src/demo-cluster/resources.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { ObjectStore } from '../../src/demo-cluster/store.js';

function seededStore(): ObjectStore {
  const store = new ObjectStore();
  const namespaces = findResourceType('', 'v1', 'namespaces') as ResourceType;
  for (const name of ['default', 'kube-system']) store.create(namespaces, { metadata: { name } });
  seedDemoCluster(store);
  return store;
}

function allowed(store: ObjectStore, user: UserInfo, method: string, path: string): boolean {
  const url = new URL(path, 'https://demo');
  return rbacAuthorizer(store)(user, parseRequestInfo(method, url.pathname, url.searchParams));
}

t.test('demoIdentity maps --demo-user names onto the groups kube-apiserver gives them', async (t) => {
  t.same(demoIdentity('admin'), { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  t.same(demoIdentity('default'), {
    name: 'system:serviceaccount:default:default',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
  });
  t.equal(demoIdentity('system:serviceaccount:team:builder').groups[1], 'system:serviceaccounts:team');
  t.same(demoIdentity('jane'), { name: 'jane', groups: ['system:authenticated'] });
});

t.test('system:masters may do anything', async (t) => {
  const store = seededStore();
  const admin = demoIdentity('admin');
  t.ok(allowed(store, admin, 'DELETE', '/api/v1/namespaces/kube-system/secrets/x'));
  t.ok(allowed(store, admin, 'GET', '/api/v1/nodes'));
});

t.test('demo-sa may get, list and watch pods in default through its RoleBinding, and nothing else', async (t) => {
  const store = seededStore();
  const sa = demoIdentity('demo-sa');
  t.ok(allowed(store, sa, 'GET', '/api/v1/namespaces/default/pods'));
  t.ok(allowed(store, sa, 'GET', '/api/v1/namespaces/default/pods?watch=true'));
  t.ok(allowed(store, sa, 'GET', '/api/v1/namespaces/default/pods/some-pod'));
  t.notOk(allowed(store, sa, 'DELETE', '/api/v1/namespaces/default/pods/some-pod'), 'delete is not in the role');
  t.notOk(allowed(store, sa, 'GET', '/api/v1/namespaces/default/pods/some-pod/log'), 'subresources need their own rule');
  t.notOk(allowed(store, sa, 'GET', '/api/v1/namespaces/kube-system/pods'), 'a RoleBinding grants only in its namespace');
  t.notOk(allowed(store, sa, 'GET', '/api/v1/pods'), 'cluster-wide lists need a ClusterRoleBinding');
  t.notOk(allowed(store, sa, 'GET', '/api/v1/namespaces/default/secrets'));
  t.ok(allowed(store, sa, 'GET', '/api'), 'discovery is open to authenticated users');
  t.ok(allowed(store, sa, 'GET', '/apis/apps/v1'));
});

t.test('the default service account has no rights beyond discovery', async (t) => {
  const store = seededStore();
  const user = demoIdentity('default');
  t.notOk(allowed(store, user, 'GET', '/api/v1/namespaces/default/pods'));
  t.ok(allowed(store, user, 'GET', '/version'));
});

t.test('a binding for another service account or user does not leak; a User subject and a Group subject match', async (t) => {
  const store = seededStore();
  t.notOk(allowed(store, demoIdentity('system:serviceaccount:other:demo-sa'), 'GET', '/api/v1/namespaces/default/pods'), 'same name, other namespace');
  const bindings = findResourceType('rbac.authorization.k8s.io', 'v1', 'rolebindings') as ResourceType;
  store.create(bindings, {
    metadata: { name: 'jane-and-readers', namespace: 'default' },
    subjects: [{ kind: 'User', name: 'jane' }, { kind: 'Group', name: 'readers' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'list-pods' },
  });
  t.ok(allowed(store, demoIdentity('jane'), 'GET', '/api/v1/namespaces/default/pods'));
  t.ok(allowed(store, { name: 'bob', groups: ['readers', 'system:authenticated'] }, 'GET', '/api/v1/namespaces/default/pods'));
  t.notOk(allowed(store, demoIdentity('bob'), 'GET', '/api/v1/namespaces/default/pods'));
});

t.test('anonymous requests read only public health and version paths', async (t) => {
  const store = seededStore();
  t.ok(allowed(store, ANONYMOUS, 'GET', '/version'));
  t.ok(allowed(store, ANONYMOUS, 'GET', '/healthz'));
  t.notOk(allowed(store, ANONYMOUS, 'GET', '/api'));
  t.notOk(allowed(store, ANONYMOUS, 'GET', '/api/v1/namespaces/default/pods'));
});
