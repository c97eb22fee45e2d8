// The demo cluster's authorizer: kube-apiserver's RBAC over the Roles and RoleBindings in the store.

import type { UserInfo } from './authn.js';
import type { RequestInfo } from './request-info.js';
import { findResourceType, type ResourceType } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';

/** Paths every authenticated user may read (the system:discovery and system:public-info-viewer roles). */
const DISCOVERY_PATHS = /^\/(api|apis|version|openapi|healthz|livez|readyz)(\/|$)/;
const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);

interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs?: readonly string[];
  readonly resourceNames?: readonly string[];
}

interface Subject {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return subject.name !== undefined && user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name ?? ''}`;
    default:
      return false;
  }
}

function ruleAllows(rule: PolicyRule, info: RequestInfo): boolean {
  const has = (list: readonly string[] | undefined, value: string): boolean => list !== undefined && (list.includes('*') || list.includes(value));
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  if (!has(rule.verbs, info.verb) || !has(rule.apiGroups, info.apiGroup) || !has(rule.resources, resource)) return false;
  return rule.resourceNames === undefined || rule.resourceNames.length === 0 || rule.resourceNames.includes(info.name);
}

/**
 * system:masters may do anything; anonymous users only read public health and version info; other
 * users may read discovery, and resources as far as a RoleBinding in the request's namespace grants.
 */
export function rbacAuthorizer(store: ObjectStore): (user: UserInfo, info: RequestInfo) => boolean {
  const roles = findResourceType('rbac.authorization.k8s.io', 'v1', 'roles') as ResourceType;
  const bindings = findResourceType('rbac.authorization.k8s.io', 'v1', 'rolebindings') as ResourceType;
  return (user, info) => {
    if (user.groups.includes('system:masters')) return true;
    if (!info.isResourceRequest) {
      if (user.name === 'system:anonymous') return info.verb === 'get' && PUBLIC_PATHS.has(info.path);
      return info.verb === 'get' && DISCOVERY_PATHS.test(info.path);
    }
    if (info.namespace === '') return false;
    return store.list(bindings, info.namespace).some((binding: KubeObject) => {
      const subjects = (binding.subjects ?? []) as readonly Subject[];
      if (!subjects.some((subject) => subjectMatches(subject, user, info.namespace))) return false;
      const ref = binding.roleRef as { kind?: string; name?: string } | undefined;
      if (ref?.kind !== 'Role' || !ref.name) return false;
      const role = store.get(roles, info.namespace, ref.name);
      return ((role?.rules ?? []) as readonly PolicyRule[]).some((rule) => ruleAllows(rule, info));
    });
  };
}
