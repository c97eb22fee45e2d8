// Every default kubegate has, in one place: kubectl proxy's, client-go's, and kubegate's own.

/** kubectl proxy's defaults (kubectl/pkg/cmd/proxy/proxy.go). */
export const DEFAULT_PORT = 8001;
export const DEFAULT_ADDRESS = '127.0.0.1';
export const DEFAULT_ACCEPT_HOSTS = '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$';
export const DEFAULT_ACCEPT_PATHS = '^.*';
export const DEFAULT_REJECT_PATHS = '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach';
export const DEFAULT_REJECT_METHODS = '^$';
export const DEFAULT_API_PREFIX = '/';
export const DEFAULT_WWW_PREFIX = '/static/';
/** --keepalive 0: Go's net.Dialer default probes (15 s); negative turns them off. */
export const DEFAULT_KEEPALIVE_MS = 0;
/** --request-timeout is validated and has no effect, as in kubectl proxy (spec 1.2). */
export const DEFAULT_REQUEST_TIMEOUT = '0';

/** Where a pod's service-account token and CA live (client-go's rest.InClusterConfig). */
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** kubegate's own. */
export const DEFAULT_LOG_FORMAT = 'auto';
export const DEFAULT_VERBOSITY = 0;
/** How long an exec credential plugin may run before kubegate stops it. */
export const DEFAULT_EXEC_PLUGIN_TIMEOUT_MS = 60_000;
/** How long SIGTERM/SIGINT wait for in-flight ordinary requests before closing their sockets. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** The identity --demo presents to the demo API server. */
export const DEFAULT_DEMO_USER = 'kubernetes-admin';
/** --ui-history: how many requests the page can look back on. */
export const DEFAULT_UI_HISTORY = 500;
