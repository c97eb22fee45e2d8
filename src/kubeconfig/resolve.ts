// Selects context, cluster and user, applies flag overrides and validates: client-go's DirectClientConfig → RestConfig.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { createSecureContext } from 'node:tls';
import { kubeconfigError, KubegateError } from '../errors.js';
import { idTokenState } from './id-token.js';
import { resolveImpersonation } from './impersonation.js';
import type { AuthConfig, ExecConfig, KubeconfigEnvironment, KubeconfigFlags, MaterialSource, RestConfig } from './rest-config.js';
import type { ClusterEntry, ContextEntry, Kubeconfig, UserEntry } from './types.js';

export interface ResolveOptions {
  readonly appendServerPath: boolean;
  /** Files the merged config came from, for messages. */
  readonly loadedFrom: readonly string[];
  /** The clock for the id-token expiry check (tests pass their own). */
  readonly now?: () => number;
}

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

const GCP_REMOVED =
  'The gcp auth plugin has been removed.\nPlease use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.\n' +
  'See https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke for further details';
const AZURE_REMOVED =
  'The azure auth plugin has been removed.\nPlease use the "kubelogin" client-go credential plugin instead.\n' +
  'See https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins for further details';

/** A path from a kubeconfig resolves against that file's directory; a flag's against the working directory. */
function fromFile(path: string | undefined, file: string): string | undefined {
  if (path === undefined || path === '') return undefined;
  return isAbsolute(path) ? path : resolvePath(dirname(file), path);
}
function fromFlag(path: string | undefined, cwd: string): string | undefined {
  if (path === undefined || path === '') return undefined;
  return isAbsolute(path) ? path : resolvePath(cwd, path);
}

function material(file: string | undefined, data: Buffer | undefined, origin: string): MaterialSource | undefined {
  // `*-data` wins over the file (client-go's TLS config rule).
  if (data !== undefined && data.length > 0) return { kind: 'data', data, origin };
  if (file !== undefined) return { kind: 'file', path: file };
  return undefined;
}

function readMaterial(source: MaterialSource, what: string, owner: string, errors: string[]): Buffer | undefined {
  if (source.kind === 'data') return source.data;
  try {
    return readFileSync(source.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    errors.push(`unable to read ${what} ${source.path} for ${owner} due to open ${source.path}: ${reason}`);
    return undefined;
  }
}

function sourceName(source: MaterialSource): string {
  return source.kind === 'file' ? source.path : source.origin;
}

/** Validates PEM material now, so a bad certificate is a start-up error, not a failure on the first request. */
function checkPem(ca: Buffer | undefined, caSource: MaterialSource | undefined, cert: Buffer | undefined, key: Buffer | undefined, certSource: MaterialSource | undefined, errors: string[]): void {
  if (ca !== undefined && caSource !== undefined) {
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      errors.push(`unable to load root certificates from ${sourceName(caSource)}: unable to parse bytes as PEM block`);
    } else {
      try {
        createSecureContext({ ca });
      } catch (error) {
        errors.push(`unable to load root certificates from ${sourceName(caSource)}: ${(error as Error).message}`);
      }
    }
  }
  if (cert !== undefined && key !== undefined && certSource !== undefined) {
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      errors.push(`unable to load the client certificate and key (${sourceName(certSource)}): ${(error as Error).message}`);
    }
  }
}

/** `origin` says where the value came from: the --server flag, or the kubeconfig field and file. */
function parseServer(server: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch (error) {
    throw kubeconfigError(`the server URL ${JSON.stringify(server)} (${origin}) is not a URL; write it as https://HOST:PORT`, error);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw kubeconfigError(`the server URL ${JSON.stringify(server)} (${origin}) has no http:// or https:// scheme; write it as https://HOST:PORT`);
  }
  return url;
}

function resolveExec(user: UserEntry, cluster: ClusterEntry | undefined, owner: string, errors: string[]): ExecConfig | undefined {
  const exec = user.exec;
  if (exec === undefined) return undefined;
  if (exec.command === '') errors.push(`command must be specified for ${owner} to use exec authentication plugin`);
  if (exec.apiVersion === '') {
    errors.push(`apiVersion must be specified for ${owner} to use exec authentication plugin`);
    return undefined;
  }
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(exec.apiVersion)) {
    errors.push(`exec plugin: invalid apiVersion "${exec.apiVersion}"`);
    return undefined;
  }
  exec.env.forEach((variable, i) => {
    if (variable.name === '') errors.push(`env variable ${i} name must be specified for ${owner} to use exec authentication plugin`);
  });
  let interactiveMode = exec.interactiveMode;
  if (interactiveMode === '') {
    if (exec.apiVersion === 'client.authentication.k8s.io/v1') {
      errors.push(`interactiveMode must be specified for ${owner} to use exec authentication plugin`);
      return undefined;
    }
    interactiveMode = 'IfAvailable';
  }
  if (interactiveMode !== 'Never' && interactiveMode !== 'IfAvailable' && interactiveMode !== 'Always') {
    errors.push(`invalid interactiveMode for ${owner}: ${interactiveMode} (use Never, IfAvailable or Always)`);
    return undefined;
  }
  return {
    apiVersion: exec.apiVersion as ExecConfig['apiVersion'],
    // client-go resolves the command against the kubeconfig's directory only when it contains a '/'.
    command: exec.command.includes('/') ? (fromFile(exec.command, user.file) ?? exec.command) : exec.command,
    args: exec.args,
    env: exec.env,
    installHint: exec.installHint,
    provideClusterInfo: exec.provideClusterInfo,
    interactiveMode,
    fieldPath: `users[name=${user.name}].user.exec`,
    ...(cluster?.execExtension !== undefined ? { clusterConfig: cluster.execExtension } : {}),
  };
}

function resolveAuthProvider(user: UserEntry, warnings: string[], now: number): AuthConfig | undefined {
  const provider = user.authProvider;
  if (provider === undefined) return undefined;
  switch (provider.name) {
    case 'gcp':
      throw kubeconfigError(GCP_REMOVED);
    case 'azure':
      throw kubeconfigError(AZURE_REMOVED);
    case 'oidc':
      return resolveOidc(user, warnings, now);
    default:
      throw kubeconfigError(`no Auth Provider found for name "${provider.name}"`);
  }
}

/**
 * client-go refuses an oidc provider without an issuer or client id when it builds the transport
 * (kubectl proxy exits at start with "Must provide idp-issuer-url"); an id-token that is not a JWT,
 * or expired with no refresh-token, fails every request, so kubegate says so at start as well.
 */
function resolveOidc(user: UserEntry, warnings: string[], now: number): AuthConfig {
  const config = user.authProvider?.config ?? {};
  for (const key of ['idp-issuer-url', 'client-id']) {
    if (!config[key]) throw kubeconfigError(`Must provide ${key} (the oidc auth-provider of user "${user.name}" in ${user.file})`);
  }
  const idToken = config['id-token'] ?? '';
  const state = idToken === '' ? 'expired' : idTokenState(idToken, now);
  const owner = `the oidc auth-provider of user "${user.name}" (${user.file})`;
  if (state === 'not-jwt') warnings.push(`${owner}: ID Token is not a valid JWT; every request will fail, as with kubectl`);
  if (state === 'expired' && !config['refresh-token']) {
    warnings.push(`${owner}: No valid id-token, and cannot refresh without refresh-token; requests will fail until you log in again (for example with kubelogin)`);
  }
  return { kind: 'oidc', idToken, config, file: user.file, user: user.name };
}

/** The empty user client-go uses when the context names none (or an undefined one). */
function emptyUser(name: string): UserEntry {
  return { name, file: '', asGroups: [], asUserExtra: {} };
}

/** The context, cluster and user a load selects, flags first (client-go's DirectClientConfig). */
interface Selection {
  readonly contextName: string;
  readonly clusterName: string;
  readonly userName: string;
  readonly cluster: ClusterEntry | undefined;
  readonly user: UserEntry;
  /** Where the kubeconfig came from, for messages. */
  readonly where: string;
}

function selectEntries(config: Kubeconfig, flags: KubeconfigFlags, loadedFrom: readonly string[], warnings: string[]): Selection {
  const where = loadedFrom.length > 0 ? loadedFrom.join(', ') : 'no kubeconfig file';
  const contextName = flags.context || config.currentContext;
  let context: ContextEntry | undefined;
  if (contextName) {
    context = config.contexts.get(contextName);
    if (context === undefined) {
      if (flags.context) throw kubeconfigError(`context "${contextName}" does not exist (in ${where})`);
      throw kubeconfigError(`Error in configuration: context was not found for specified context: ${contextName} (current-context in ${where})`);
    }
  }
  const clusterName = flags.cluster || context?.cluster || '';
  const userName = flags.user || context?.user || '';
  if (flags.cluster && !config.clusters.has(flags.cluster)) throw kubeconfigError(`cluster "${flags.cluster}" does not exist (in ${where})`);
  if (flags.user && !config.users.has(flags.user)) throw kubeconfigError(`auth info "${flags.user}" does not exist (in ${where})`);
  const cluster: ClusterEntry | undefined = clusterName ? config.clusters.get(clusterName) : undefined;
  if (clusterName && cluster === undefined && !flags.server) {
    throw kubeconfigError(`context "${contextName}" refers to cluster "${clusterName}", which is not defined (in ${where})`);
  }
  const user: UserEntry = (userName ? config.users.get(userName) : undefined) ?? emptyUser(userName);
  if (userName && !config.users.has(userName)) {
    warnings.push(`context "${contextName}" refers to user "${userName}", which is not defined: requests go to the API server without credentials`);
  }
  return { contextName, clusterName, userName, cluster, user, where };
}

interface ClusterSettings {
  readonly server: string;
  readonly serverUrl: URL;
  readonly insecureSkipTlsVerify: boolean;
  readonly caSource: MaterialSource | undefined;
  readonly serverName: string | undefined;
}

/** The server and its trust settings (client-go: the CA or insecure flags replace all three trust fields). */
function resolveCluster(selection: Selection, flags: KubeconfigFlags, environment: KubeconfigEnvironment, errors: string[]): ClusterSettings {
  const { cluster, clusterName, where } = selection;
  const clusterOwner = clusterName || 'the cluster';
  const server = flags.server || cluster?.server || '';
  if (server === '') {
    throw kubeconfigError(
      clusterName
        ? `no server found for cluster "${clusterName}" (in ${where}); set clusters[].cluster.server or pass --server`
        : `no server to connect to: the kubeconfig (${where}) selects no cluster; pass --context, --cluster or --server`,
    );
  }
  const serverUrl = parseServer(server, flags.server ? '--server' : `clusters[name=${clusterOwner}].cluster.server in ${cluster?.file ?? where}`);
  const trustOverridden = Boolean(flags.certificateAuthority) || flags.insecureSkipTlsVerify === true;
  const insecureSkipTlsVerify = trustOverridden ? flags.insecureSkipTlsVerify === true : (cluster?.insecureSkipTlsVerify ?? false);
  const caSource: MaterialSource | undefined = trustOverridden
    ? material(fromFlag(flags.certificateAuthority, environment.cwd), undefined, '--certificate-authority')
    : cluster
      ? material(fromFile(cluster.certificateAuthority, cluster.file), cluster.certificateAuthorityData, `certificate-authority-data of cluster "${clusterName}"`)
      : undefined;
  const serverName = flags.server !== undefined || flags.tlsServerName !== undefined ? flags.tlsServerName || undefined : cluster?.tlsServerName || undefined;
  // client-go's validation refuses a file and its inline twin together (flags replace both, so only the file's pair counts).
  if (!trustOverridden && cluster?.certificateAuthority && cluster.certificateAuthorityData !== undefined) {
    errors.push(`certificate-authority-data and certificate-authority are both specified for ${clusterName}. certificate-authority-data will override. (cluster "${clusterName}" in ${cluster.file})`);
  }
  if (insecureSkipTlsVerify && caSource !== undefined) {
    errors.push(`specifying a root certificates file with the insecure flag is not allowed (cluster "${clusterOwner}")`);
  }
  if (cluster?.proxyUrl) {
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(cluster.proxyUrl)?.[1]?.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https' && scheme !== 'socks5') {
      errors.push(`invalid 'proxy-url' "${cluster.proxyUrl}" for cluster "${clusterName}": unsupported scheme "${scheme ?? ''}", must be http, https, or socks5`);
    }
  }
  return { server, serverUrl, insecureSkipTlsVerify, caSource, serverName };
}

/** The client certificate pair: a flag replaces the file's value and its *-data twin (client-go since 1.33; kubectl 1.32 kept the twin and refused). */
function resolveClientCertificate(selection: Selection, flags: KubeconfigFlags, environment: KubeconfigEnvironment, errors: string[]): { certSource: MaterialSource | undefined; keySource: MaterialSource | undefined } {
  const { user, userName } = selection;
  const userOwner = userName || 'the user';
  const certSource = flags.clientCertificate
    ? material(fromFlag(flags.clientCertificate, environment.cwd), undefined, '--client-certificate')
    : material(fromFile(user.clientCertificate, user.file), user.clientCertificateData, `client-certificate-data of user "${userName}"`);
  const keySource = flags.clientKey
    ? material(fromFlag(flags.clientKey, environment.cwd), undefined, '--client-key')
    : material(fromFile(user.clientKey, user.file), user.clientKeyData, `client-key-data of user "${userName}"`);
  if (!flags.clientCertificate && Boolean(user.clientCertificate) && user.clientCertificateData !== undefined) {
    errors.push(`client-cert-data and client-cert are both specified for ${userName}. client-cert-data will override. (user "${userName}" in ${user.file})`);
  }
  // As in client-go, the key pair is only checked when the user has a client certificate at all.
  if (!flags.clientKey && Boolean(user.clientKey) && user.clientKeyData !== undefined && certSource !== undefined) {
    errors.push(`client-key-data and client-key are both specified for ${userName}; client-key-data will override (user "${userName}" in ${user.file})`);
  }
  if (certSource !== undefined && keySource === undefined) {
    errors.push(`client-key-data or client-key must be specified for ${userOwner} to use the clientCert authentication method.`);
  }
  if (keySource !== undefined && certSource === undefined) {
    errors.push(`client-certificate-data or client-certificate must be specified for ${userOwner} to use the clientCert authentication method.`);
  }
  return { certSource, keySource };
}

/** The token and basic-auth settings, flags first. */
function credentialSettings(selection: Selection, flags: KubeconfigFlags): { token: string; tokenFile: string | undefined; username: string; password: string } {
  const { user } = selection;
  return {
    token: flags.token || user.token || '',
    tokenFile: flags.token ? undefined : fromFile(user.tokenFile, user.file),
    username: flags.username || user.username || '',
    password: flags.password || user.password || '',
  };
}

/** Only one authentication method may be set (client-go's validation). */
function checkAuthMethods(selection: Selection, flags: KubeconfigFlags, errors: string[]): void {
  const userOwner = selection.userName || 'the user';
  const { token, tokenFile, username, password } = credentialSettings(selection, flags);
  const methods: string[] = [];
  if (token || tokenFile) methods.push('token');
  if (username || password) methods.push('basicAuth');
  if (methods.length > 1) errors.push(`more than one authentication method found for ${userOwner}; found [${methods.join(' ')}], only one is allowed`);
  if (selection.user.exec !== undefined && selection.user.authProvider !== undefined) {
    errors.push(`authProvider cannot be provided in combination with an exec plugin for ${userOwner}`);
  }
}

/** Which credential authenticates requests besides a client certificate. */
function resolveAuth(selection: Selection, flags: KubeconfigFlags, exec: ExecConfig | undefined, now: number, warnings: string[]): AuthConfig {
  const { token, tokenFile, username, password } = credentialSettings(selection, flags);
  if (tokenFile) return { kind: 'token-file', path: tokenFile };
  if (token) return { kind: 'token', token };
  if (username || password) return { kind: 'basic', username, password };
  if (exec) return { kind: 'exec', exec };
  return resolveAuthProvider(selection.user, warnings, now) ?? { kind: 'none' };
}

/** A tokenFile must be readable now rather than on the first request. */
function checkTokenFile(auth: AuthConfig, userOwner: string): void {
  if (auth.kind !== 'token-file') return;
  try {
    readFileSync(auth.path);
  } catch (error) {
    throw new KubegateError('KG_ERR_FILE', `open ${auth.path}: cannot read the tokenFile of user "${userOwner}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}

export function resolveRestConfig(config: Kubeconfig, flags: KubeconfigFlags, environment: KubeconfigEnvironment, options: ResolveOptions): RestConfig {
  const warnings: string[] = [];
  const errors: string[] = [];
  const selection = selectEntries(config, flags, options.loadedFrom, warnings);
  const clusterOwner = selection.clusterName || 'the cluster';
  const userOwner = selection.userName || 'the user';
  const cluster = resolveCluster(selection, flags, environment, errors);
  const { certSource, keySource } = resolveClientCertificate(selection, flags, environment, errors);
  checkAuthMethods(selection, flags, errors);
  const { impersonate, error: impersonationError } = resolveImpersonation(flags, userOwner, selection.user);
  if (impersonationError !== undefined) errors.push(impersonationError);
  // Files must be readable and PEM must parse, now rather than on the first request.
  const ca = cluster.caSource ? readMaterial(cluster.caSource, 'certificate-authority', clusterOwner, errors) : undefined;
  const cert = certSource ? readMaterial(certSource, 'client-cert', userOwner, errors) : undefined;
  const key = keySource ? readMaterial(keySource, 'client-key', userOwner, errors) : undefined;
  checkPem(ca, cluster.caSource, cert, key, certSource, errors);
  const exec = resolveExec(selection.user, selection.cluster, userOwner, errors);
  if (errors.length === 1) throw kubeconfigError(errors[0] as string);
  if (errors.length > 1) throw kubeconfigError(`Error in configuration: \n${errors.map((e) => `* ${e}`).join('\n')}`);
  const auth = resolveAuth(selection, flags, exec, (options.now ?? Date.now)(), warnings);
  checkTokenFile(auth, userOwner);

  const serverPath = cluster.serverUrl.pathname;
  if (!options.appendServerPath && serverPath !== '' && serverPath !== '/') {
    warnings.push(`Your kube context contains a server path ${serverPath}, use --append-server-path to automatically append the path to each request`);
  }
  if (cluster.serverUrl.protocol === 'https:' && auth.kind === 'none' && certSource === undefined) {
    warnings.push(`no credentials for ${cluster.serverUrl.origin}: requests go to the API server anonymously (kubectl would prompt for a username and password)`);
  }
  return {
    server: cluster.server,
    serverUrl: cluster.serverUrl,
    tls: {
      ...(cluster.caSource ? { ca: cluster.caSource } : {}),
      insecureSkipTlsVerify: cluster.insecureSkipTlsVerify,
      ...(cluster.serverName ? { serverName: cluster.serverName } : {}),
      ...(certSource && keySource ? { clientCertificate: { cert: certSource, key: keySource } } : {}),
    },
    auth,
    ...(impersonate ? { impersonate } : {}),
    disableCompression: flags.disableCompression ?? selection.cluster?.disableCompression ?? false,
    ...(selection.cluster?.proxyUrl ? { proxyUrl: selection.cluster.proxyUrl } : {}),
    names: { context: selection.contextName, cluster: selection.clusterName, user: selection.userName },
    loadedFrom: options.loadedFrom,
    inCluster: false,
    warnings,
  };
}
