// RBAC's rule matching, evaluated locally (--policy FILE): kube-apiserver's RuleAllows on the request
// as its RequestInfo reads it, and a Role's rules only in its own namespace, as a RoleBinding grants them.

import type { RequestInfo } from './request-info.js';

/** One PolicyRule as a Role or ClusterRole holds it; absent lists are empty. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

/** A Role or ClusterRole from the policy file. */
export interface PolicyRole {
  readonly kind: 'Role' | 'ClusterRole';
  readonly name: string;
  /**
   * A Role's metadata.namespace: its rules apply only to requests in that namespace. Undefined for a
   * ClusterRole, and for a Role that names none (then: any one namespace, never cluster-wide).
   */
  readonly namespace: string | undefined;
  readonly rules: readonly PolicyRule[];
  /** What comes before `rules[0]` in messages: `items[1].`, `document 2: `, or '' for a lone role. */
  readonly where: string;
}

/** The roles of one --policy file. */
export interface RolePolicy {
  /** The file as given on the command line, for messages. */
  readonly file: string;
  readonly roles: readonly PolicyRole[];
}

const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((ruleVerb) => ruleVerb === ALL || ruleVerb === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((ruleGroup) => ruleGroup === ALL || ruleGroup === group);
}

/**
 * `*` matches every resource and subresource; `pods/log` exactly that subresource; a star, a slash and
 * `log` that subresource of any resource. RBAC has no `pods/` + star form: it matches only a resource so named.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  return rule.resources.some((ruleResource) => ruleResource === ALL || ruleResource === combined || (subresource !== '' && ruleResource === `*/${subresource}`));
}

/**
 * No resourceNames: any name. Otherwise the request must name one of them, so a list, a watch without
 * a `metadata.name` field selector, a create and a deletecollection never match.
 */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

/** `*` matches every path; `/apis/*` every path under `/apis/` (never `/apis` itself); else the exact path. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some((url) => url === ALL || url === path || (url.endsWith(ALL) && path.startsWith(url.replace(/\*+$/, ''))));
}

/** RBAC's RuleAllows: one rule, one request. */
export function ruleAllows(rule: PolicyRule, info: RequestInfo): boolean {
  if (!info.isResourceRequest) return verbMatches(rule, info.verb) && nonResourceURLMatches(rule, info.path);
  return verbMatches(rule, info.verb) && apiGroupMatches(rule, info.apiGroup) && resourceMatches(rule, info.resource, info.subresource) && resourceNameMatches(rule, info.name);
}

/**
 * Whether a role's rules are in force for this request: a ClusterRole's everywhere (as bound by a
 * ClusterRoleBinding); a Role's only for a request in a namespace, and in its own when it names one
 * (as a RoleBinding in that namespace grants it), never for cluster-scoped or all-namespace requests.
 */
export function roleApplies(role: PolicyRole, info: RequestInfo): boolean {
  if (role.kind === 'ClusterRole') return true;
  if (!info.isResourceRequest || info.namespace === '') return false;
  return role.namespace === undefined || role.namespace === info.namespace;
}

/** Some rule of some role in force allows the request. */
export function rolesAllow(policy: RolePolicy, info: RequestInfo): boolean {
  return policy.roles.some((role) => roleApplies(role, info) && role.rules.some((rule) => ruleAllows(rule, info)));
}
