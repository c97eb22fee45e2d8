// The kubeconfig domain in camelCase, read-only; each entry remembers the file that defined it.

export interface NamedEntry {
  readonly name: string;
  /** Absolute path of the kubeconfig file that defined this entry (relative paths resolve against its directory). */
  readonly file: string;
}

export interface ClusterEntry extends NamedEntry {
  readonly server?: string;
  readonly tlsServerName?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly certificateAuthority?: string;
  readonly certificateAuthorityData?: Buffer;
  readonly proxyUrl?: string;
  readonly disableCompression: boolean;
  /** `extensions[name=client.authentication.k8s.io/exec].extension`, passed to exec plugins. */
  readonly execExtension?: unknown;
}

export interface RawExecConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion: string;
  readonly installHint: string;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode: string;
}

export interface UserEntry extends NamedEntry {
  readonly clientCertificate?: string;
  readonly clientCertificateData?: Buffer;
  readonly clientKey?: string;
  readonly clientKeyData?: Buffer;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly as?: string;
  readonly asUid?: string;
  readonly asGroups: readonly string[];
  readonly asUserExtra: Readonly<Record<string, readonly string[]>>;
  readonly username?: string;
  readonly password?: string;
  readonly authProvider?: { readonly name: string; readonly config: Readonly<Record<string, string>> };
  readonly exec?: RawExecConfig;
}

export interface ContextEntry extends NamedEntry {
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}

export interface Kubeconfig {
  readonly clusters: ReadonlyMap<string, ClusterEntry>;
  readonly users: ReadonlyMap<string, UserEntry>;
  readonly contexts: ReadonlyMap<string, ContextEntry>;
  readonly currentContext: string;
}

export const EMPTY_KUBECONFIG: Kubeconfig = Object.freeze({
  clusters: new Map(),
  users: new Map(),
  contexts: new Map(),
  currentContext: '',
});
