import t from 'tap';
import { startTestCluster } from '../fixtures/cluster.js';
import { startKubegate } from '../fixtures/processes.js';
import { rssMiB } from '../fixtures/proc.js';

t.test('a 200 MB LIST streams through kubegate without sitting in its memory', async (t) => {
  const items = 10_000;
  const cluster = await startTestCluster(t, { largeList: { namespace: 'big', items, itemBytes: 21_200 } });
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const pid = proxy.child.pid as number;
  // Warm up: first TLS connection, JIT, buffers.
  for (let i = 0; i < 3; i++) await (await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).text();
  const baseline = rssMiB(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 25);
  t.teardown(() => clearInterval(sampler));

  const response = await fetch(`${proxy.url}/api/v1/namespaces/big/configmaps`, { headers: { 'accept-encoding': 'identity' } });
  t.equal(response.status, 200);
  let bytes = 0;
  let names = 0;
  let tail = '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    const text = tail + Buffer.from(value).toString('latin1');
    names += (text.match(/"name":"cm-\d+"/g) ?? []).length;
    // Keep a short tail so a name split across chunks is counted once, in the next chunk.
    const cut = Math.max(0, text.length - 32);
    const carried = text.slice(cut);
    names -= (carried.match(/"name":"cm-\d+"/g) ?? []).length;
    tail = carried;
  }
  names += (tail.match(/"name":"cm-\d+"/g) ?? []).length;
  clearInterval(sampler);
  t.ok(bytes > 200 * 1024 * 1024, `the whole body arrived (${(bytes / 1048576).toFixed(1)} MiB)`);
  t.equal(names, items, 'every item arrived');
  const growth = peak - baseline;
  t.ok(growth < bytes / 1048576 / 3, `kubegate's RSS grew by ${growth.toFixed(1)} MiB while relaying ${(bytes / 1048576).toFixed(0)} MiB (baseline ${baseline.toFixed(1)} MiB)`);
});
