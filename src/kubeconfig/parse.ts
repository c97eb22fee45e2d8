// Parses kubeconfig YAML text into typed entries: the only place that knows the kebab-case keys.

import { parseDocument, type ParseOptions, type DocumentOptions, type SchemaOptions, type ToJSOptions } from 'yaml';
import { kubeconfigError, type KubegateError } from '../errors.js';
import type { ClusterEntry, ContextEntry, Kubeconfig, RawExecConfig, UserEntry } from './types.js';

type Fields = Readonly<Record<string, unknown>>;

function fail(file: string, detail: string): KubegateError {
  return kubeconfigError(`error loading config file "${file}": ${detail}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/** Narrowing helpers: each names the file and field path when the value has the wrong type. */
class Reader {
  constructor(readonly file: string) {}

  map(value: unknown, path: string): Fields | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw fail(this.file, `${path}: expected a map, got ${describe(value)}`);
    return value as Fields;
  }

  list(value: unknown, path: string): readonly unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw fail(this.file, `${path}: expected a list, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    // YAML turns `8443` or `yes` into numbers and booleans; Go's JSON decoding of a string field refuses them (kubectl too).
    const hint = typeof value === 'boolean' ? ' (YAML 1.1, as kubectl reads it, takes unquoted yes/no/on/off/y/n as booleans: quote the value)' : '';
    throw fail(this.file, `${path}: expected a string, got ${describe(value)}${hint}`);
  }

  bool(value: unknown, path: string): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    throw fail(this.file, `${path}: expected true or false, got ${describe(value)}`);
  }

  stringList(value: unknown, path: string): string[] {
    return this.list(value, path).map((item, i) => this.string(item, `${path}[${i}]`) ?? '');
  }

  base64(value: unknown, path: string): Buffer | undefined {
    const text = this.string(value, path);
    if (text === undefined || text === '') return undefined;
    const compact = text.replace(/\s+/g, '');
    const bad = /[^A-Za-z0-9+/=]/.exec(compact);
    if (bad || compact.length % 4 !== 0) {
      throw fail(this.file, `${path}: illegal base64 data at input byte ${bad ? bad.index : compact.length} (a *-data field holds base64-encoded PEM)`);
    }
    return Buffer.from(compact, 'base64');
  }
}

function named(reader: Reader, value: unknown, path: string, key: string): { name: string; body: Fields } {
  const entry = reader.map(value, path) ?? {};
  const name = reader.string(entry.name, `${path}.name`) ?? '';
  const body = reader.map(entry[key], `${path}.${key}`) ?? {};
  return { name, body };
}

function parseCluster(reader: Reader, value: unknown, path: string): ClusterEntry {
  const { name, body } = named(reader, value, path, 'cluster');
  const at = `${path}.cluster`;
  let execExtension: unknown;
  reader.list(body.extensions, `${at}.extensions`).forEach((item, i) => {
    const extension = reader.map(item, `${at}.extensions[${i}]`) ?? {};
    if (extension.name === 'client.authentication.k8s.io/exec') execExtension = extension.extension;
  });
  return {
    name,
    file: reader.file,
    server: reader.string(body.server, `${at}.server`),
    tlsServerName: reader.string(body['tls-server-name'], `${at}.tls-server-name`),
    insecureSkipTlsVerify: reader.bool(body['insecure-skip-tls-verify'], `${at}.insecure-skip-tls-verify`),
    certificateAuthority: reader.string(body['certificate-authority'], `${at}.certificate-authority`),
    certificateAuthorityData: reader.base64(body['certificate-authority-data'], `${at}.certificate-authority-data`),
    proxyUrl: reader.string(body['proxy-url'], `${at}.proxy-url`),
    disableCompression: reader.bool(body['disable-compression'], `${at}.disable-compression`),
    execExtension,
  };
}

function parseExec(reader: Reader, value: unknown, path: string): RawExecConfig | undefined {
  const exec = reader.map(value, path);
  if (exec === undefined) return undefined;
  return {
    command: reader.string(exec.command, `${path}.command`) ?? '',
    args: reader.stringList(exec.args, `${path}.args`),
    env: reader.list(exec.env, `${path}.env`).map((item, i) => {
      const variable = reader.map(item, `${path}.env[${i}]`) ?? {};
      return {
        name: reader.string(variable.name, `${path}.env[${i}].name`) ?? '',
        value: reader.string(variable.value, `${path}.env[${i}].value`) ?? '',
      };
    }),
    apiVersion: reader.string(exec.apiVersion, `${path}.apiVersion`) ?? '',
    installHint: reader.string(exec.installHint, `${path}.installHint`) ?? '',
    provideClusterInfo: reader.bool(exec.provideClusterInfo, `${path}.provideClusterInfo`),
    interactiveMode: reader.string(exec.interactiveMode, `${path}.interactiveMode`) ?? '',
  };
}

function parseUser(reader: Reader, value: unknown, path: string): UserEntry {
  const { name, body } = named(reader, value, path, 'user');
  const at = `${path}.user`;
  const extra: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(reader.map(body['as-user-extra'], `${at}.as-user-extra`) ?? {})) {
    extra[key] = reader.stringList(values, `${at}.as-user-extra.${key}`);
  }
  const provider = reader.map(body['auth-provider'], `${at}.auth-provider`);
  let authProvider: UserEntry['authProvider'];
  if (provider !== undefined) {
    const config: Record<string, string> = {};
    for (const [key, item] of Object.entries(reader.map(provider.config, `${at}.auth-provider.config`) ?? {})) {
      config[key] = reader.string(item, `${at}.auth-provider.config.${key}`) ?? '';
    }
    authProvider = { name: reader.string(provider.name, `${at}.auth-provider.name`) ?? '', config };
  }
  return {
    name,
    file: reader.file,
    clientCertificate: reader.string(body['client-certificate'], `${at}.client-certificate`),
    clientCertificateData: reader.base64(body['client-certificate-data'], `${at}.client-certificate-data`),
    clientKey: reader.string(body['client-key'], `${at}.client-key`),
    clientKeyData: reader.base64(body['client-key-data'], `${at}.client-key-data`),
    token: reader.string(body.token, `${at}.token`),
    tokenFile: reader.string(body.tokenFile, `${at}.tokenFile`),
    as: reader.string(body.as, `${at}.as`),
    asUid: reader.string(body['as-uid'], `${at}.as-uid`),
    asGroups: reader.stringList(body['as-groups'], `${at}.as-groups`),
    asUserExtra: extra,
    username: reader.string(body.username, `${at}.username`),
    password: reader.string(body.password, `${at}.password`),
    authProvider,
    exec: parseExec(reader, body.exec, `${at}.exec`),
  };
}

function parseContext(reader: Reader, value: unknown, path: string): ContextEntry {
  const { name, body } = named(reader, value, path, 'context');
  const at = `${path}.context`;
  return {
    name,
    file: reader.file,
    cluster: reader.string(body.cluster, `${at}.cluster`) ?? '',
    user: reader.string(body.user, `${at}.user`) ?? '',
    namespace: reader.string(body.namespace, `${at}.namespace`),
  };
}

/**
 * client-go refuses a file that defines a name twice in one list (its v1 → internal conversion:
 * `duplicate name "x" in list`); across files the first file wins (merge.ts). kubectl's message
 * prints the whole list, secrets included; this one names the two positions instead.
 */
function toMap<T extends { readonly name: string }>(reader: Reader, entries: readonly T[], list: string): Map<string, T> {
  const map = new Map<string, T>();
  const firstIndex = new Map<string, number>();
  entries.forEach((entry, i) => {
    const first = firstIndex.get(entry.name);
    if (first !== undefined) {
      throw fail(reader.file, `duplicate name ${JSON.stringify(entry.name)} in ${list} (${list}[${first}] and ${list}[${i}]); kubectl refuses a kubeconfig file that defines a name twice`);
    }
    firstIndex.set(entry.name, i);
    map.set(entry.name, entry);
  });
  return map;
}

/**
 * kubectl reads kubeconfig with go-yaml (YAML 1.1): `yes`/`no`/`on`/`off`/`y`/`n` are booleans,
 * `0644` octal, `0b1` binary, `1_000` a number. go-yaml has no sexagesimal numbers and leaves
 * timestamps as text, so those YAML 1.1 tags are left out. It also ignores the `!!omap`, `!!pairs`
 * and `!!set` tags, reading the sequence or mapping under them as written (`cluster: !!omap
 * [{server: …}]` is a list, which kubectl refuses: "cannot unmarshal array into … v1.Cluster");
 * the yaml package would build a Map or a Set, which reads here as an empty object, and a field
 * written that way silently vanished ("no server found").
 */
const GO_YAML_UNSUPPORTED_FORMATS = new Set(['TIME']);
const GO_YAML_UNSUPPORTED_TAGS = new Set(['timestamp', 'omap', 'pairs', 'set'].map((name) => `tag:yaml.org,2002:${name}`));
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  prettyErrors: false,
  uniqueKeys: false,
  version: '1.1',
  customTags: (tags) => tags.filter((tag) => !(typeof tag === 'object' && (GO_YAML_UNSUPPORTED_FORMATS.has(tag.format ?? '') || GO_YAML_UNSUPPORTED_TAGS.has(tag.tag)))),
};
export const TO_JS_OPTIONS: ToJSOptions = { maxAliasCount: 100 };

/**
 * YAML line breaks are LF, CRLF and a lone CR (go-yaml honours all three). The yaml package keeps a
 * lone CR inside a value, and a file written with CRLF whose final LF was lost (`$(…)`, an editor)
 * ended its last value with "\r": a token or name that never matched.
 */
export function normalizeLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** `file` is the absolute path, used in messages and to resolve relative paths later. */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  const normalized = normalizeLineBreaks(text);
  const document = parseDocument(normalized, YAML_OPTIONS);
  const problem = document.errors[0];
  if (problem) {
    // Count lines ourselves: the parser's linePos is only filled in with prettyErrors, which adds a code frame.
    const line = normalized.slice(0, problem.pos[0]).split('\n').length;
    const where = `yaml: line ${line}: `;
    throw fail(file, `${where}${problem.message.split('\n')[0] ?? problem.message}`);
  }
  const reader = new Reader(file);
  let plain: unknown;
  try {
    plain = document.toJS(TO_JS_OPTIONS);
  } catch (error) {
    // Structure the parser accepts but cannot turn into values: an alias with no anchor, alias bombs.
    throw fail(file, `yaml: ${(error as Error).message}`);
  }
  const root = reader.map(plain, 'the document');
  if (root === undefined) return { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: '' };
  // Every field is typed before names are compared, and clusters before users before contexts: kubectl's order.
  const clusters = reader.list(root.clusters, 'clusters').map((item, i) => parseCluster(reader, item, `clusters[${i}]`));
  const users = reader.list(root.users, 'users').map((item, i) => parseUser(reader, item, `users[${i}]`));
  const contexts = reader.list(root.contexts, 'contexts').map((item, i) => parseContext(reader, item, `contexts[${i}]`));
  const currentContext = reader.string(root['current-context'], 'current-context') ?? '';
  return {
    clusters: toMap(reader, clusters, 'clusters'),
    users: toMap(reader, users, 'users'),
    contexts: toMap(reader, contexts, 'contexts'),
    currentContext,
  };
}
