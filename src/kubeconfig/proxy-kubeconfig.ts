// --print-kubeconfig: a kubeconfig whose every context goes through kubegate, which holds the credentials (none are written).

/** One served context as the written kubeconfig names it. */
export interface ProxiedContext {
  readonly name: string;
  /** kubegate's URL for it, `http://127.0.0.1:8001/clusters/NAME` (the name in its URL form). */
  readonly server: string;
  /** The original context's namespace, kept so `kubectl --context NAME` acts where it did before. */
  readonly namespace?: string;
}

/** The one user every context shares: no secret, since kubegate adds the credentials. */
const USER = 'kubegate';

/** A YAML double-quoted scalar: JSON's escapes are all valid YAML 1.1 escapes, so any name survives. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/** The file's text: one cluster and one context per served context, current-context the first. */
export function formatProxyKubeconfig(contexts: readonly ProxiedContext[], origin: string): string {
  const lines = [
    `# Written by kubegate --print-kubeconfig: every context below goes through kubegate at ${origin},`,
    '# which adds each cluster\'s credentials itself; this file holds none. Use: kubectl --kubeconfig FILE --context NAME ...',
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    `current-context: ${quoted(contexts[0]?.name ?? '')}`,
    'clusters:',
    ...contexts.flatMap((context) => [`  - name: ${quoted(context.name)}`, '    cluster:', `      server: ${quoted(context.server)}`]),
    'users:',
    `  - name: ${quoted(USER)}`,
    '    user: {}',
    'contexts:',
    ...contexts.flatMap((context) => [
      `  - name: ${quoted(context.name)}`,
      '    context:',
      `      cluster: ${quoted(context.name)}`,
      `      user: ${quoted(USER)}`,
      ...(context.namespace ? [`      namespace: ${quoted(context.namespace)}`] : []),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
