import t from 'tap';
import { dirname } from 'node:path';
import { freePort, requireKubectl, runCommand, runKubegate, startKubegate } from '../fixtures/processes.js';

// `kubegate --demo` is what a newcomer runs first: the lines it prints must work as printed.

/** The curl and kubectl lines the demo prints, rewritten to nothing: they already carry the real port. */
function printedLines(stdout: string, tool: 'curl' | 'kubectl'): string[] {
  return stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith(`${tool} `));
}

t.test('kubegate --demo prints lines that work: the curl line lists the nginx pod, kubectl get pods prints it', async (t) => {
  const proxy = await startKubegate(t, ['--demo', '--port=0']);
  t.match(proxy.stderr(), /DEMO MODE: proxying to the built-in, in-memory demo API server/, 'labelled as a demo in the log');
  const curls = printedLines(proxy.stdout(), 'curl');
  t.ok(curls.length >= 3, `prints curl lines:\n${proxy.stdout()}`);
  t.match(curls[0], `http://127.0.0.1:${proxy.port}/api/v1/namespaces/default/pods`, 'with the real port');

  const list = await runCommand('bash', ['-c', `${curls[0] ?? 'false'} -s`]);
  t.equal(list.status, 0, list.stderr);
  const pods = JSON.parse(list.stdout) as { kind: string; items: { metadata: { name: string } }[] };
  t.equal(pods.kind, 'PodList');
  t.match(pods.items.map((pod) => pod.metadata.name), [/^nginx-/]);

  const page = await runCommand('bash', ['-c', `${curls[1] ?? 'false'} -s`]);
  t.match(page.stdout, /Welcome to nginx/, 'the service /proxy/ line returns the page');

  const kubectlLine = printedLines(proxy.stdout(), 'kubectl')[0] ?? '';
  t.equal(kubectlLine, `kubectl -s http://127.0.0.1:${proxy.port} get pods`);
  const kubectl = await runCommand(requireKubectl(), ['-s', proxy.url, 'get', 'pods'], { env: { KUBECONFIG: '/dev/null' } });
  t.equal(kubectl.status, 0, kubectl.stderr);
  t.match(kubectl.stdout, /^NAME\s+READY\s+STATUS/m);
  t.match(kubectl.stdout, /^nginx-\S+\s+1\/1\s+Running/m);

  // The printed port-forward line, as printed but for the local port (8080 may be taken on this machine).
  const forwardLine = printedLines(proxy.stdout(), 'kubectl').find((line) => line.includes(' port-forward ')) ?? '';
  t.match(forwardLine, `kubectl -s http://127.0.0.1:${proxy.port} port-forward svc/nginx 8080:80`);
  const local = await freePort();
  const command = forwardLine.replace(/\s+#.*$/, '').replace('8080:80', `${local}:80`);
  const forwarded = await runCommand('bash', ['-c', `${command} & until curl -s http://127.0.0.1:${local}/; do sleep 0.2; done; kill %1`], {
    env: { PATH: `${dirname(requireKubectl())}:${process.env.PATH ?? ''}`, KUBECONFIG: '/dev/null' },
    timeoutMs: 30_000,
  });
  t.match(forwarded.stdout, /Welcome to nginx/, 'the port-forward line works: the pod\'s port 80 answers on the local port');
});

t.test('--demo-user: the default service account is forbidden with kube-apiserver\'s exact message; demo-sa may list pods', async (t) => {
  const asDefault = await startKubegate(t, ['--demo', '--port=0', '--demo-user', 'system:serviceaccount:default:default']);
  const denied = await fetch(`${asDefault.url}/api/v1/namespaces/default/pods`);
  t.equal(denied.status, 403);
  const status = (await denied.json()) as { kind: string; reason: string; message: string; details: { kind: string } };
  t.equal(status.kind, 'Status');
  t.equal(status.reason, 'Forbidden');
  t.equal(
    status.message,
    'pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default"',
  );
  t.match(asDefault.stdout(), /presents the user "system:serviceaccount:default:default"/);
  const kubectl = await runCommand(requireKubectl(), ['-s', asDefault.url, 'get', 'pods'], { env: { KUBECONFIG: '/dev/null' } });
  t.not(kubectl.status, 0);
  t.match(kubectl.stderr, /pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods"/);

  const asDemoSa = await startKubegate(t, ['--demo', '--port=0', '--demo-user=demo-sa']);
  const pods = await fetch(`${asDemoSa.url}/api/v1/namespaces/default/pods`);
  t.equal(pods.status, 200);
  const secrets = await fetch(`${asDemoSa.url}/api/v1/namespaces/default/secrets`);
  t.equal(secrets.status, 403, 'but only what its Role grants');
  await secrets.arrayBuffer();
});

t.test('the demo API server forbids anonymous requests (its address is in the demo log line)', async (t) => {
  const proxy = await startKubegate(t, ['--demo', '--port=0']);
  const server = /demo API server at (https:\/\/127\.0\.0\.1:\d+)/.exec(proxy.stderr())?.[1];
  t.ok(server, 'the log names the demo server');
  const anonymous = await runCommand('curl', ['-sk', '-w', '\n%{http_code}', `${server ?? ''}/api/v1/namespaces/default/pods`]);
  const lines = anonymous.stdout.split('\n');
  t.equal(lines.at(-1), '403');
  t.match(lines.slice(0, -1).join('\n'), /User \\"system:anonymous\\" cannot list resource \\"pods\\"/);
});

t.test('--demo-user without --demo is a usage error', async (t) => {
  const result = runKubegate(['--demo-user', 'admin']);
  t.equal(result.status, 1);
  t.match(result.stderr, /^error: --demo-user only applies with --demo/);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
});
