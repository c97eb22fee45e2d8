// --policy FILE: reads a Role, a ClusterRole, a `kind: List` of them, or several YAML documents, and
// checks them with RBAC's own validation rules; each error names the file and the field path.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { policyError } from '../errors.js';
import { normalizeLineBreaks, TO_JS_OPTIONS, YAML_OPTIONS } from '../kubeconfig/parse.js';
import type { PolicyRole, PolicyRule, RolePolicy } from '../server/rbac-rules.js';
import { closestName } from './did-you-mean.js';

type Fields = Readonly<Record<string, unknown>>;

const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';
const ROLE_FIELDS = ['apiVersion', 'kind', 'metadata', 'rules', 'aggregationRule'];
const LIST_FIELDS = ['apiVersion', 'kind', 'metadata', 'items'];
const RULE_FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'];

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value} (${JSON.stringify(value)})`;
}

/** `items[1]` + `rules` → `items[1].rules`. */
function child(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/**
 * A problem in one place of the file. Thrown where nothing below can be read (a rule that is not a
 * map), caught by the nearest enclosing item, which moves on to its next sibling: the user sees
 * every problem of the file at once, as `kubectl apply` lists every invalid field.
 */
class PolicyProblem extends Error {}

/** Narrowing of the YAML's values; every problem names the file and the field, and is recorded. */
class PolicyReader {
  /**
   * `document` is `document 2` inside a file of several YAML documents, else ''; `problems` is the
   * whole file's list, shared by the readers of its documents.
   */
  constructor(
    readonly file: string,
    readonly document = '',
    readonly problems: string[] = [],
  ) {}

  /** Records a problem at `path` and returns it to throw when nothing more can be read there. */
  fail(path: string, detail: string): PolicyProblem {
    const problem = new PolicyProblem([this.document, path, detail].filter((part) => part !== '').join(': '));
    this.problems.push(problem.message);
    return problem;
  }

  /** Runs one item's reading; a problem inside it (already recorded) leaves undefined, and the caller goes on. */
  each<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (error instanceof PolicyProblem) return undefined;
      throw error;
    }
  }

  map(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail(path, `expected a map, got ${describe(value)}`);
    return value as Fields;
  }

  /** A list of strings; absent (or null) is an empty list. */
  strings(value: unknown, path: string): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      const example = typeof value === 'string' ? ` (write ${path.split('.').at(-1) ?? path}: [${JSON.stringify(value)}])` : '';
      throw this.fail(path, `expected a list of strings, got ${describe(value)}${example}`);
    }
    return value.map((item: unknown, i) => {
      if (typeof item === 'string') return item;
      const hint = typeof item === 'boolean' ? ' (YAML 1.1 reads unquoted yes/no/on/off/y/n as booleans: quote it)' : '';
      throw this.fail(`${path}[${i}]`, `expected a string, got ${describe(item)}${hint}`);
    });
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.fail(path, `expected a string, got ${describe(value)}`);
    return value;
  }

  /**
   * Users misspell `resourceName`: each unknown field is a problem naming it, never silently ignored.
   * Returns the known fields the misspellings were taken for, so that the caller does not also
   * report those as missing (one mistake, one problem).
   */
  onlyFields(fields: Fields, known: readonly string[], path: string, what: string): ReadonlySet<string> {
    const meant = new Set<string>();
    for (const field of Object.keys(fields)) {
      if (known.includes(field)) continue;
      const near = closestName(field, known);
      if (near) meant.add(near);
      this.fail(child(path, field), `unknown field${near ? ` (did you mean "${near}"?)` : ''}; ${what} has ${known.join(', ')}`);
    }
    return meant;
  }
}

/** Reads and checks the --policy file; `displayName` is the path as the user gave it, for messages. */
export function loadPolicyFile(path: string, displayName: string): RolePolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw policyError(`${displayName}: cannot read the --policy file: ${why}`, error);
  }
  return parsePolicyFile(text, displayName);
}

/** The roles in a policy file's text; at least one rule among them. Every problem is reported, each with its place. */
export function parsePolicyFile(text: string, file: string): RolePolicy {
  const normalized = normalizeLineBreaks(text);
  const documents = parseAllDocuments(normalized, YAML_OPTIONS);
  const values: unknown[] = [];
  for (const document of Array.isArray(documents) ? documents : []) {
    // Past a YAML syntax error nothing can be trusted to line up: it is the one problem reported.
    const problem = document.errors[0];
    if (problem) {
      const line = normalized.slice(0, problem.pos[0]).split('\n').length;
      throw policyError(`${file}: yaml: line ${line}: ${problem.message.split('\n')[0] ?? problem.message}`);
    }
    try {
      values.push(document.toJS(TO_JS_OPTIONS));
    } catch (error) {
      throw policyError(`${file}: yaml: ${(error as Error).message}`);
    }
  }
  const problems: string[] = [];
  const present = values.map((value, i) => ({ value, where: `document ${i + 1}` })).filter((entry) => entry.value !== null && entry.value !== undefined);
  const roles = present.flatMap((entry) => {
    const reader = new PolicyReader(file, present.length > 1 ? entry.where : '', problems);
    return reader.each(() => parseTopLevel(reader, entry.value)) ?? [];
  });
  if (problems.length === 1) throw policyError(`${file}: ${problems[0]}`);
  if (problems.length > 1) throw policyError(`${file}: ${problems.length} problems:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  if (!roles.some((role) => role.rules.length > 0)) {
    throw policyError(`${file}: the policy grants nothing: no Role or ClusterRole in it has a rule, so kubegate would refuse every request`);
  }
  return { file, roles };
}

/** One document: a Role, a ClusterRole, or a List of them. */
function parseTopLevel(reader: PolicyReader, value: unknown): PolicyRole[] {
  // Paths inside one of several documents read `document 2: rules[0].verbs`.
  const prefix = reader.document === '' ? '' : `${reader.document}: `;
  const fields = reader.map(value, '');
  if (fields.kind === 'List') {
    reader.onlyFields(fields, LIST_FIELDS, '', 'a List');
    const apiVersion = reader.each(() => reader.optionalString(fields.apiVersion, 'apiVersion'));
    if (apiVersion !== undefined && apiVersion !== 'v1') reader.fail('apiVersion', `a List is apiVersion v1, got ${JSON.stringify(apiVersion)}`);
    if (!Array.isArray(fields.items)) throw reader.fail('items', `expected a list of Roles and ClusterRoles, got ${describe(fields.items)}`);
    return fields.items.flatMap((item: unknown, i) => reader.each(() => parseRole(reader, reader.map(item, `items[${i}]`), `items[${i}]`, `${prefix}items[${i}].`)) ?? []);
  }
  return [parseRole(reader, fields, '', prefix)];
}

function parseKind(reader: PolicyReader, fields: Fields, path: string): 'Role' | 'ClusterRole' {
  const kind = fields.kind;
  if (kind === 'Role' || kind === 'ClusterRole') return kind;
  const binding = kind === 'RoleBinding' || kind === 'ClusterRoleBinding' ? ': a binding says who holds a role; give kubegate the role itself' : '';
  const list = path === '' ? ', ClusterRole or List' : ' or ClusterRole';
  throw reader.fail(child(path, 'kind'), `${kind === undefined ? 'missing' : JSON.stringify(kind)}: expected Role${list}${binding}`);
}

function parseRole(reader: PolicyReader, fields: Fields, path: string, where: string): PolicyRole {
  const kind = parseKind(reader, fields, path);
  const meant = reader.onlyFields(fields, ROLE_FIELDS, path, `a ${kind}`);
  reader.each(() => {
    const apiVersion = reader.optionalString(fields.apiVersion, child(path, 'apiVersion'));
    // Absent because it was misspelt (`apiversion`): that is its one problem, already recorded.
    if (apiVersion === RBAC_API_VERSION || (apiVersion === undefined && meant.has('apiVersion'))) return;
    reader.fail(child(path, 'apiVersion'), `a ${kind} is apiVersion ${RBAC_API_VERSION}, got ${apiVersion === undefined ? 'none' : JSON.stringify(apiVersion)}`);
  });
  if (fields.aggregationRule !== undefined && fields.aggregationRule !== null) {
    reader.fail(child(path, 'aggregationRule'), 'kubegate cannot aggregate ClusterRoles (the cluster fills in their rules): list the rules themselves');
  }
  const metadata = (fields.metadata === undefined || fields.metadata === null ? {} : reader.each(() => reader.map(fields.metadata, child(path, 'metadata')))) ?? {};
  const name = reader.each(() => reader.optionalString(metadata.name, child(path, 'metadata.name'))) ?? '';
  const namespace = reader.each(() => reader.optionalString(metadata.namespace, child(path, 'metadata.namespace')));
  if (kind === 'ClusterRole' && namespace !== undefined) {
    reader.fail(child(path, 'metadata.namespace'), 'a ClusterRole is cluster-wide and a namespace does not restrict it: use a Role for one namespace');
  }
  const rulesPath = child(path, 'rules');
  if (fields.rules !== undefined && fields.rules !== null && !Array.isArray(fields.rules)) reader.fail(rulesPath, `expected a list of rules, got ${describe(fields.rules)}`);
  const rawRules: readonly unknown[] = Array.isArray(fields.rules) ? fields.rules : [];
  const rules = rawRules.flatMap((rule, i) => reader.each(() => parseRule(reader, rule, `${rulesPath}[${i}]`, kind === 'Role')) ?? []);
  return { kind, name, namespace: kind === 'Role' && namespace !== '' ? namespace : undefined, rules, where };
}

/** RBAC's ValidatePolicyRule (every field's problem, as its ErrorList), plus no unknown fields; [] when the rule has a problem. */
function parseRule(reader: PolicyReader, value: unknown, path: string, namespaced: boolean): PolicyRule[] {
  const fields = reader.map(value, path);
  const before = reader.problems.length;
  // A misspelt field (`verb`, `nonResourceURL`) is its one problem: what it was meant to be is not also "required".
  const meant = reader.onlyFields(fields, RULE_FIELDS, path, 'a rule');
  const list = (field: (typeof RULE_FIELDS)[number]): string[] | undefined => reader.each(() => reader.strings(fields[field], child(path, field)));
  const [verbs, apiGroups, resources, resourceNames, nonResourceURLs] = RULE_FIELDS.map(list);
  if (verbs?.length === 0 && !meant.has('verbs')) reader.fail(child(path, 'verbs'), 'Required value: verbs must contain at least one value');
  if (nonResourceURLs !== undefined && nonResourceURLs.length > 0) {
    if (namespaced) reader.fail(child(path, 'nonResourceURLs'), 'namespaced rules cannot apply to non-resource URLs (a Role cannot grant them; use a ClusterRole)');
    if ((apiGroups?.length ?? 0) > 0 || (resources?.length ?? 0) > 0 || (resourceNames?.length ?? 0) > 0) {
      reader.fail(child(path, 'nonResourceURLs'), 'rules cannot apply to both regular resources and non-resource URLs: split it in two rules');
    }
  } else if (nonResourceURLs !== undefined && !meant.has('nonResourceURLs')) {
    // A resource rule (a misspelt `nonResourceURLs` meant a non-resource one: these do not apply).
    if (apiGroups?.length === 0 && !meant.has('apiGroups')) reader.fail(child(path, 'apiGroups'), 'Required value: resource rules must supply at least one api group (the core group, of pods and secrets, is "")');
    if (resources?.length === 0 && !meant.has('resources')) reader.fail(child(path, 'resources'), 'Required value: resource rules must supply at least one resource');
  }
  // A list that could not be read is undefined and its problem recorded: the file fails as a whole.
  if (reader.problems.length > before || !verbs || !apiGroups || !resources || !resourceNames || !nonResourceURLs) return [];
  return [{ verbs, apiGroups, resources, resourceNames, nonResourceURLs }];
}
