// Kubernetes-aware policy: presets (--read-only, --deny-secrets, --namespaces) judged on kube-apiserver's reading of a request.

import { rolesAllow, type RolePolicy } from './rbac-rules.js';
import type { RequestInfo } from './request-info.js';

export interface PolicyFlags {
  readonly readOnly?: boolean;
  readonly denySecrets?: boolean;
  /** --namespaces=a,b */
  readonly namespaces?: readonly string[];
  /** --policy FILE, loaded and checked. */
  readonly roles?: RolePolicy;
}

export interface CompiledPolicy {
  readonly readOnly: boolean;
  readonly denySecrets: boolean;
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly roles?: RolePolicy | undefined;
}

export type PolicyVerdict = { readonly allowed: true } | { readonly allowed: false; readonly rule: string; readonly message: string; readonly details: PolicyDenialDetails };

export interface PolicyDenialDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
}

const ALLOWED: PolicyVerdict = Object.freeze({ allowed: true });

/** Verbs that only read. */
const READ_VERBS = new Set(['get', 'list', 'watch']);
/** Subresources that reach something that can act: a process, a port, a backend behind a proxy. */
const ACTING_SUBRESOURCES = new Set(['proxy', 'exec', 'attach', 'portforward']);

/**
 * Resources that are cluster-scoped in every cluster (v1.32): with --namespaces they may be read.
 * Anything else asked for across namespaces may be namespaced, so it is refused.
 */
const CLUSTER_SCOPED = new Set([
  '/namespaces', '/nodes', '/persistentvolumes', '/componentstatuses',
  'rbac.authorization.k8s.io/clusterroles', 'rbac.authorization.k8s.io/clusterrolebindings',
  'apiextensions.k8s.io/customresourcedefinitions', 'apiregistration.k8s.io/apiservices',
  'storage.k8s.io/storageclasses', 'storage.k8s.io/csidrivers', 'storage.k8s.io/csinodes', 'storage.k8s.io/volumeattachments',
  'scheduling.k8s.io/priorityclasses', 'node.k8s.io/runtimeclasses', 'networking.k8s.io/ingressclasses',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations', 'admissionregistration.k8s.io/validatingwebhookconfigurations',
  'certificates.k8s.io/certificatesigningrequests', 'flowcontrol.apiserver.k8s.io/flowschemas',
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations', 'metrics.k8s.io/nodes',
]);

export function compilePolicy(flags: PolicyFlags): CompiledPolicy | undefined {
  const namespaces = flags.namespaces && flags.namespaces.length > 0 ? new Set(flags.namespaces) : undefined;
  if (!flags.readOnly && !flags.denySecrets && !namespaces && !flags.roles) return undefined;
  return { readOnly: flags.readOnly === true, denySecrets: flags.denySecrets === true, namespaces, ...(flags.roles ? { roles: flags.roles } : {}) };
}

/** Every preset that is on must allow the request. */
export function checkPolicy(policy: CompiledPolicy, info: RequestInfo): PolicyVerdict {
  if (policy.readOnly) {
    const verdict = checkReadOnly(info);
    if (!verdict.allowed) return verdict;
  }
  if (policy.denySecrets && info.isResourceRequest && info.apiGroup === '' && info.resource === 'secrets') {
    return deny(info, '--deny-secrets');
  }
  if (policy.namespaces) {
    const verdict = checkNamespaces(policy.namespaces, info);
    // Beyond reads, a cluster-scoped resource is left to --policy when there is one ("unless --policy says more").
    if (!verdict.allowed && !(policy.roles && isClusterScoped(info))) return verdict;
  }
  // --policy FILE: some rule of the file must allow it too.
  if (policy.roles && !rolesAllow(policy.roles, info)) return deny(info, '--policy', `--policy ${policy.roles.file}`);
  return ALLOWED;
}

function checkReadOnly(info: RequestInfo): PolicyVerdict {
  if (!info.isResourceRequest) return info.verb === 'get' || info.verb === 'head' ? ALLOWED : deny(info, '--read-only');
  if (!READ_VERBS.has(info.verb) || ACTING_SUBRESOURCES.has(info.subresource)) return deny(info, '--read-only');
  return ALLOWED;
}

/** A request for a resource known to be cluster-scoped (never one across all namespaces). */
function isClusterScoped(info: RequestInfo): boolean {
  return info.isResourceRequest && info.namespace === '' && CLUSTER_SCOPED.has(`${info.apiGroup}/${info.resource}`);
}

function checkNamespaces(allowed: ReadonlySet<string>, info: RequestInfo): PolicyVerdict {
  if (!info.isResourceRequest) return ALLOWED;
  if (info.namespace !== '') return allowed.has(info.namespace) ? ALLOWED : deny(info, '--namespaces');
  // Across all namespaces or cluster-scoped: only reads of resources known to be cluster-scoped.
  return isClusterScoped(info) && READ_VERBS.has(info.verb) && !ACTING_SUBRESOURCES.has(info.subresource) ? ALLOWED : deny(info, '--namespaces');
}

/**
 * kube-apiserver's Forbidden wording (`secrets "x" is forbidden: User "u" cannot get resource "secrets"
 * in API group "" in the namespace "default"`), with kubegate's rule in place of the user, so kubectl
 * prints it as it prints an RBAC refusal.
 */
function deny(info: RequestInfo, rule: string, named = rule): PolicyVerdict {
  const who = `kubegate policy (${named}) does not allow`;
  if (!info.isResourceRequest) {
    return { allowed: false, rule, message: `forbidden: ${who} ${info.verb} on path "${info.path}"`, details: {} };
  }
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const subject = info.name ? `${info.resource} "${info.name}"` : info.resource;
  const scope = info.namespace ? ` in the namespace "${info.namespace}"` : ' at the cluster scope';
  return {
    allowed: false,
    rule,
    message: `${subject} is forbidden: ${who} ${info.verb} on resource "${resource}" in API group "${info.apiGroup}"${scope}`,
    details: { ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), kind: info.resource },
  };
}
