import t from 'tap';
import { commandName, helpText, optionLines } from '../../src/cli/help.js';
import { FLAG_TABLE, type FlagRow } from '../../src/options/flag-table.js';

const rows = FLAG_TABLE as readonly FlagRow[];
const row = (name: string): FlagRow => rows.find((r) => r.name === name) as FlagRow;

t.test('the name as invoked: kubectl gate for the kubectl-gate plugin, kubegate otherwise', async (t) => {
  const cases: [string | undefined, string][] = [
    ['/usr/local/bin/kubectl-gate', 'kubectl gate'],
    ['/tmp/x/kubectl-gate.js', 'kubectl gate'],
    ['/usr/local/lib/node_modules/kubegate/dist/bundle/kubegate.js', 'kubegate'],
    ['/usr/local/bin/kubegate', 'kubegate'],
    ['/opt/kubectl-gate_proxy-x', 'kubectl gate-proxy x'],
    ['/opt/kubectl-', 'kubegate'],
    [undefined, 'kubegate'],
  ];
  for (const [path, expected] of cases) t.equal(commandName(path), expected, String(path));
});

t.test('option lines are kubectl\'s: four spaces, names, the default quoted for strings, help after a tab', async (t) => {
  t.equal(optionLines(row('port')), '    -p, --port=8001:\n\tThe port on which to run the proxy. Set to 0 to pick a random port.\n');
  t.match(optionLines(row('unix-socket')), /^ {4}-u, --unix-socket='':\n\t/);
  t.match(optionLines(row('www')), /^ {4}-w, --www='':\n\t/);
  t.match(optionLines(row('keepalive')), /^ {4}--keepalive=0s:\n\t/);
  t.match(optionLines(row('append-server-path')), /^ {4}--append-server-path=false:\n\t/);
  t.match(optionLines(row('accept-hosts')), /^ {4}--accept-hosts='\^localhost\$,\^127\\\.0\\\.0\\\.1\$,\^\\\[::1\\\]\$':\n\t/);
  t.match(optionLines(row('as-group')), /^ {4}--as-group=\[\]:\n\t/);
  t.match(optionLines(row('request-timeout')), /^ {4}--request-timeout='0':\n\t/);
  t.match(optionLines(row('v')), /^ {4}-v, --v=0:\n\t/);
});

/** The flag names of the option lines in a piece of help, in order. */
const namesIn = (text: string): string[] => [...text.matchAll(/^ {4}(?:-\w, )?--([\w-]+)=/gm)].map((m) => m[1] as string);

t.test('layout: kubectl proxy\'s options in kubectl\'s order, kubegate\'s own after them, then Usage, then kubectl\'s global options sorted', async (t) => {
  const help = helpText('kubegate');
  const [beforeUsage, afterUsage] = help.split('\nUsage:\n') as [string, string];
  t.ok(afterUsage, 'a Usage: block');
  const options = namesIn(beforeUsage);
  const kubectlProxy = ['accept-hosts', 'accept-paths', 'address', 'api-prefix', 'append-server-path', 'disable-filter', 'keepalive', 'port', 'reject-methods', 'reject-paths', 'unix-socket', 'www', 'www-prefix'];
  t.same(options.slice(0, kubectlProxy.length), kubectlProxy, 'kubectl proxy --help order first');
  t.ok(options.includes('admin-address') && options.includes('log-format') && options.includes('help'), 'kubegate\'s own flags follow');
  t.notOk(options.includes('kubeconfig'), 'global flags are not mixed in');
  t.match(afterUsage, /^ {2}kubegate \[--port=PORT\] \[--www=static-dir\] \[--www-prefix=prefix\] \[--api-prefix=prefix\] \[options\]\n/);
  const globals = namesIn(afterUsage);
  t.same(globals, [...globals].sort(), 'global options sorted by name, as `kubectl options` does');
  for (const name of ['kubeconfig', 'context', 'server', 'token', 'as', 'as-group', 'namespace', 'request-timeout', 'v']) t.ok(globals.includes(name), `--${name} listed`);
  t.notMatch(help, /^ {4}--(cache-dir|vmodule|profile)=/m, 'no-effect flags get no option line');
  t.match(help, /Also accepted for compatibility, with no effect: --cache-dir, /);
  t.match(help, /A drop-in replacement for `kubectl proxy`/);
});

t.test('every command line in the help uses the name as invoked', async (t) => {
  const help = helpText('kubectl gate');
  t.match(help, /\n {2}kubectl gate \[--port=PORT\]/);
  t.match(help, /\n {2}kubectl gate --port=0\n/);
  t.notMatch(help, /^ {2}kubegate\b/m);
});
