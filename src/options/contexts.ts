// --contexts, --all-contexts and --print-kubeconfig: validated here, so complete() adds one line for them.

import { usageError } from '../errors.js';
import type { ContextSelection } from '../kubeconfig/load-contexts.js';
import type { KubeconfigFlags } from '../kubeconfig/rest-config.js';
import type { ProxyFlags } from './flag-table.js';

export interface ContextOptions {
  /** Undefined without --contexts / --all-contexts: one context, served at `/`, as always. */
  readonly contexts: ContextSelection | undefined;
  /** --print-kubeconfig, resolved against the working directory. */
  readonly printKubeconfig: string | undefined;
}

/**
 * Overrides that would send one context's server or secrets to every served context (or pick one
 * context, which --contexts replaces): refused, rather than applied to all.
 */
const PER_CONTEXT_OVERRIDES: readonly (readonly [keyof KubeconfigFlags, string])[] = [
  ['context', '--context'],
  ['cluster', '--cluster'],
  ['user', '--user'],
  ['server', '--server'],
  ['token', '--token'],
  ['username', '--username'],
  ['password', '--password'],
  ['certificateAuthority', '--certificate-authority'],
  ['clientCertificate', '--client-certificate'],
  ['clientKey', '--client-key'],
  ['tlsServerName', '--tls-server-name'],
  ['insecureSkipTlsVerify', '--insecure-skip-tls-verify'],
];

export function resolveContextOptions(flags: ProxyFlags, kubeconfig: KubeconfigFlags, cwd: string): ContextOptions {
  const contexts = contextSelection(flags);
  if (contexts !== undefined) {
    for (const [key, flag] of PER_CONTEXT_OVERRIDES) {
      if (kubeconfig[key] !== undefined && kubeconfig[key] !== '' && kubeconfig[key] !== false) {
        throw usageError(`${flag} cannot be combined with --contexts or --all-contexts: each served context uses its own kubeconfig entry (drop ${flag}, or serve one context with --context)`);
      }
    }
    if (flags.demo && contexts.kind === 'all') throw usageError('with --demo, name the demo clusters to start: --contexts=a,b');
  }
  const printKubeconfig = flags.printKubeconfig === undefined || flags.printKubeconfig === '' ? undefined : flags.printKubeconfig;
  if (printKubeconfig !== undefined && contexts === undefined) throw usageError('--print-kubeconfig writes one context per served context: add --contexts=a,b or --all-contexts');
  if (printKubeconfig !== undefined && flags.unixSocket) throw usageError('--print-kubeconfig needs a TCP listener: a kubeconfig cannot point kubectl at a unix socket');
  return { contexts, printKubeconfig: printKubeconfig && (printKubeconfig.startsWith('/') ? printKubeconfig : `${cwd.replace(/\/$/, '')}/${printKubeconfig}`) };
}

/** The names, exactly as given (a context name may hold spaces; only commas separate). */
function contextSelection(flags: ProxyFlags): ContextSelection | undefined {
  if (flags.contexts !== undefined && flags.allContexts === true) throw usageError('use --contexts=a,b or --all-contexts, not both');
  if (flags.allContexts === true) return { kind: 'all' };
  if (flags.contexts === undefined) return undefined;
  const names = flags.contexts.split(',').filter((name) => name !== '');
  if (names.length === 0) throw usageError(`invalid --contexts "${flags.contexts}": name at least one kubeconfig context, for example --contexts=dev,prod`);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) throw usageError(`invalid --contexts "${flags.contexts}": ${JSON.stringify(twice)} is named twice`);
  return { kind: 'named', names };
}
