// Start-up warnings about a --policy file's typos: API groups and resources the cluster's discovery
// does not know (a rule naming `pod` grants nothing, silently). Warnings only: a CRD may come later.

import { rolesAllow, type PolicyRule, type RolePolicy } from '../server/rbac-rules.js';
import { readRequestInfo } from '../server/request-info.js';
import { readServedApi, type DiscoveryGet, type ServedApi, type ServedResource } from '../upstream/discovery.js';
import { closestName } from './did-you-mean.js';

const ALL = '*';

/** kubectl and client-go read these first; every cluster grants them to every user (system:discovery). */
const DISCOVERY_PATHS = ['/api', '/apis'];

/** A policy without discovery: kubectl fails before its first real request, with a Forbidden on /api. */
export function policyDiscoveryWarning(policy: RolePolicy): string | undefined {
  const allowed = DISCOVERY_PATHS.every((path) => rolesAllow(policy, readRequestInfo('GET', path, new URLSearchParams())));
  if (allowed) return undefined;
  return `${policy.file}: no rule allows get on /api and /apis (discovery), so kubectl and client-go fail before their first request; add a ClusterRole rule with nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/version", "/openapi/*"] and verbs: ["get"], as the cluster's system:discovery role grants`;
}

/** The API groups the policy's rules name (not `*`): the only ones discovery needs to read. */
export function policyApiGroups(policy: RolePolicy): Set<string> {
  return new Set(policy.roles.flatMap((role) => role.rules.flatMap((rule) => rule.apiGroups.filter((group) => group !== ALL))));
}

/** One warning per unknown group or resource, naming its place in the file and the likely intended name. */
export function policyResourceWarnings(policy: RolePolicy, served: ServedApi): string[] {
  const warnings: string[] = [];
  for (const role of policy.roles) {
    role.rules.forEach((rule, i) => {
      const at = `${policy.file}: ${role.where}rules[${i}]`;
      for (const group of rule.apiGroups) {
        if (group !== ALL && !served.groups.has(group)) warnings.push(`${at}.apiGroups: "${group}" is not an API group the cluster serves${groupHint(group, served)}`);
      }
      for (const resource of unknownResources(rule, served)) warnings.push(`${at}.resources: "${resource}" ${resourceProblem(resource, rule, served)}`);
    });
  }
  return warnings;
}

function groupHint(group: string, served: ServedApi): string {
  if (group === 'core' || group === 'v1') return ' (the core group, of pods and secrets, is "")';
  const near = closestName(group, [...served.groups].filter((name) => name !== ''));
  return near ? ` (did you mean "${near}"?)` : '';
}

/** The rule's resources that no served group of the rule has; none when a group is `*` or unknown (warned about already). */
function unknownResources(rule: PolicyRule, served: ServedApi): string[] {
  if (rule.apiGroups.includes(ALL)) return [];
  const lists = rule.apiGroups.map((group) => served.resources.get(group)).filter((resources) => resources !== undefined);
  if (lists.length === 0) return [];
  const names = new Set(lists.flat().map((resource) => resource.name));
  const subresources = new Set([...names].filter((name) => name.includes('/')).map((name) => name.slice(name.indexOf('/') + 1)));
  return rule.resources.filter((resource) => {
    if (resource === ALL || names.has(resource)) return false;
    // `*` then `/status`: any resource's subresource of that name.
    return !(resource.startsWith(`${ALL}/`) && subresources.has(resource.slice(2)));
  });
}

function resourceProblem(resource: string, rule: PolicyRule, served: ServedApi): string {
  const groups = rule.apiGroups.filter((group) => served.resources.has(group));
  const where = groups.length === 1 ? `API group "${groups[0] as string}"` : `API groups ${groups.map((group) => `"${group}"`).join(', ')}`;
  const own = groups.flatMap((group) => served.resources.get(group) ?? []);
  const hint = aliasFor(resource, own) ?? closestName(resource, own.map((entry) => entry.name));
  if (hint !== undefined) return `is not a resource the cluster serves in ${where} (did you mean "${hint}"?)`;
  for (const [group, resources] of served.resources) {
    if (groups.includes(group)) continue;
    if (resources.some((entry) => entry.name === resource)) return `is not a resource the cluster serves in ${where} (it is in API group "${group}")`;
    const elsewhere = aliasFor(resource, resources);
    if (elsewhere !== undefined) return `is not a resource the cluster serves in ${where} (did you mean "${elsewhere}" in API group "${group}"?)`;
  }
  return `is not a resource the cluster serves in ${where}`;
}

/** RBAC names resources by their plural: `pod`, `po`, `Pod` all mean `pods`, which is what a rule must say. */
function aliasFor(resource: string, resources: readonly ServedResource[]): string | undefined {
  const [base = '', subresource] = resource.split('/', 2);
  const lower = base.toLowerCase();
  const match = resources.find((entry) => !entry.name.includes('/') && (entry.singularName === lower || entry.shortNames.includes(lower) || entry.kind.toLowerCase() === lower || entry.name === lower));
  if (!match) return undefined;
  const named = subresource === undefined ? match.name : `${match.name}/${subresource}`;
  return named !== resource && resources.some((entry) => entry.name === named) ? named : undefined;
}

export interface PolicyResourceReport {
  warn(message: string): void;
  /** Discovery could not be read: nothing was checked (not a failure; the proxy serves on). */
  unchecked(message: string): void;
}

/** Reads discovery once and reports the policy's unknown groups and resources; never rejects. */
export async function warnAboutPolicyResources(policy: RolePolicy, get: DiscoveryGet, report: PolicyResourceReport): Promise<void> {
  const discovery = policyDiscoveryWarning(policy);
  if (discovery !== undefined) report.warn(discovery);
  let served: ServedApi;
  try {
    served = await readServedApi(get, policyApiGroups(policy));
  } catch (error) {
    report.unchecked(`${policy.file}: the cluster's discovery could not be read, so the policy's API groups and resources were not checked for typos: ${(error as Error).message}`);
    return;
  }
  for (const warning of policyResourceWarnings(policy, served)) report.warn(warning);
}
