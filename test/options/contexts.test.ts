import t from 'tap';
import { resolveContextOptions } from '../../src/options/contexts.js';

t.test('--contexts names contexts exactly; --all-contexts serves every one', async (t) => {
  t.same(resolveContextOptions({}, {}, '/w'), { contexts: undefined, printKubeconfig: undefined }, 'nothing changes without the flags');
  t.same(resolveContextOptions({ contexts: 'dev,prod' }, {}, '/w').contexts, { kind: 'named', names: ['dev', 'prod'] });
  t.same(resolveContextOptions({ contexts: 'a b,,c/d' }, {}, '/w').contexts, { kind: 'named', names: ['a b', 'c/d'] }, 'only commas separate');
  t.same(resolveContextOptions({ allContexts: true }, {}, '/w').contexts, { kind: 'all' });
  t.equal(resolveContextOptions({ allContexts: true, printKubeconfig: 'out.yaml' }, {}, '/w/').printKubeconfig, '/w/out.yaml');
});

t.test('refused combinations', async (t) => {
  const rows: [Parameters<typeof resolveContextOptions>[0], Parameters<typeof resolveContextOptions>[1], RegExp][] = [
    [{ contexts: 'a', allContexts: true }, {}, /not both/],
    [{ contexts: ',' }, {}, /name at least one/],
    [{ contexts: 'a,b,a' }, {}, /"a" is named twice/],
    [{ contexts: 'a' }, { server: 'https://x' }, /--server cannot be combined with --contexts/],
    [{ allContexts: true }, { token: 'secret' }, /--token cannot be combined/],
    [{ contexts: 'a' }, { context: 'a' }, /--context cannot be combined/],
    [{ contexts: 'a' }, { insecureSkipTlsVerify: true }, /--insecure-skip-tls-verify cannot/],
    [{ printKubeconfig: 'x' }, {}, /add --contexts=a,b or --all-contexts/],
    [{ contexts: 'a', printKubeconfig: 'x', unixSocket: '/tmp/s' }, {}, /needs a TCP listener/],
    [{ demo: true, allContexts: true }, {}, /name the demo clusters/],
  ];
  for (const [flags, kubeconfig, message] of rows) t.throws(() => resolveContextOptions(flags, kubeconfig, '/w'), { code: 'KG_ERR_USAGE', message }, JSON.stringify([flags, kubeconfig]));
  t.doesNotThrow(() => resolveContextOptions({ contexts: 'a' }, { as: 'jane', kubeconfig: '/k', disableCompression: true }, '/w'), 'impersonation and --kubeconfig apply to all');
});
