// The resolved client configuration (client-go's rest.Config): what the proxy needs to reach one API server.

import type { ProxyRoute } from './proxy.js';

/** Where a piece of PEM or secret material comes from: a file (re-read when it changes) or inline data. */
export type MaterialSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'data'; readonly data: Buffer; readonly origin: string };

/** The exec credential plugin stanza of a user, paths already resolved (client-go rest.ExecProvider). */
export interface ExecConfig {
  readonly apiVersion: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
  /** Absolute when the kubeconfig gave a path containing `/`; a bare name is looked up on PATH. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly installHint: string;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode: 'Never' | 'IfAvailable' | 'Always';
  /** `users[N].user.exec`, for error messages. */
  readonly fieldPath: string;
  /** The cluster's `client.authentication.k8s.io/exec` extension, for KUBERNETES_EXEC_INFO. */
  readonly clusterConfig?: unknown;
}

/** How kubegate authenticates its own requests to the API server (besides a client certificate). */
export type AuthConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'token-file'; readonly path: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'exec'; readonly exec: ExecConfig }
  | OidcAuthConfig;

/** The legacy `auth-provider: oidc` stanza (client-go plugin/pkg/client/auth/oidc). */
export interface OidcAuthConfig {
  readonly kind: 'oidc';
  /** The id-token as the kubeconfig had it at start ('' when none). */
  readonly idToken: string;
  /** The provider's config map: idp-issuer-url, client-id, client-secret, refresh-token, idp-certificate-authority(-data), id-token. */
  readonly config: Readonly<Record<string, string>>;
  /** The kubeconfig file the user came from: refreshed tokens are written back there; none, nothing is written. */
  readonly file?: string;
  /** The user's name in that file, for messages and the write-back. */
  readonly user?: string;
}

export interface ImpersonationConfig {
  readonly user: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export interface TlsConfig {
  /** CA bundle; undefined means the system roots. */
  readonly ca?: MaterialSource;
  readonly insecureSkipTlsVerify: boolean;
  /** SNI and verification name, when the kubeconfig or --tls-server-name sets one. */
  readonly serverName?: string;
  /** Client certificate and key, when the user has them (files or `*-data`). */
  readonly clientCertificate?: { readonly cert: MaterialSource; readonly key: MaterialSource };
}

export interface RestConfig {
  /** The server URL exactly as configured, e.g. `https://127.0.0.1:6443/prefix`. */
  readonly server: string;
  readonly serverUrl: URL;
  readonly tls: TlsConfig;
  readonly auth: AuthConfig;
  readonly impersonate?: ImpersonationConfig;
  readonly disableCompression: boolean;
  /** `proxy-url` of the cluster, when set. */
  readonly proxyUrl?: string;
  /** How connections reach the server: direct, or through proxy-url / HTTPS_PROXY (decided once at load; absent means direct). */
  readonly proxy?: ProxyRoute;
  /** Which kubeconfig entries were selected ('' where none applies, e.g. in-cluster). */
  readonly names: { readonly context: string; readonly cluster: string; readonly user: string };
  /** Files the configuration was read from, in load order; empty for in-cluster. */
  readonly loadedFrom: readonly string[];
  /** True when built from a pod's service account rather than a kubeconfig. */
  readonly inCluster: boolean;
  /** Non-fatal findings to print at start (e.g. the server-path warning). */
  readonly warnings: readonly string[];
}

/** The kubeconfig-related flags (kubectl's global flags), before any defaults. */
export interface KubeconfigFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly cluster?: string;
  readonly user?: string;
  readonly server?: string;
  readonly token?: string;
  readonly certificateAuthority?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  readonly as?: string;
  readonly asGroups?: readonly string[];
  readonly asUid?: string;
  readonly username?: string;
  readonly password?: string;
  readonly disableCompression?: boolean;
}

/** What loading reads from the outside world; tests pass their own. */
export interface KubeconfigEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  /** Relative paths given as flags resolve against this (kubectl: the CWD). */
  readonly cwd: string;
  /** Service-account directory for in-cluster mode. */
  readonly serviceAccountDir: string;
}
