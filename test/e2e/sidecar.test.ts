import t from 'tap';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { startTestCluster, SECRETS, type TestCluster } from '../fixtures/cluster.js';
import { pastRecheckInterval } from '../fixtures/credentials.js';
import { startKubegate, type RunningProxy } from '../fixtures/processes.js';

// kubegate as a sidecar: no kubeconfig, the pod's service account, and a kubelet that rotates it underneath.

/** The projected service-account volume, laid out as the kubelet writes it (AtomicWriter). */
class ProjectedVolume {
  #generation = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes a new timestamped directory and swaps `..data` to it with one rename, as the kubelet does. */
  write(files: Record<string, string>): number {
    const name = `..2026_11_23_00_00_0${this.#generation++}.${process.pid}`;
    mkdirSync(join(this.dir, name));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(this.dir, name, file), text);
    if (this.#generation === 1) {
      symlinkSync(name, join(this.dir, '..data'));
      for (const file of Object.keys(files)) symlinkSync(join('..data', file), join(this.dir, file));
    } else {
      symlinkSync(name, join(this.dir, '..data_tmp'));
      renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    }
    return Date.now();
  }
}

function podEnv(cluster: TestCluster, saDir: string): Record<string, string | undefined> {
  return {
    HOME: cluster.dir,
    KUBECONFIG: undefined,
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(cluster.api.port),
    KUBEGATE_SERVICE_ACCOUNT_DIR: saDir,
  };
}

/** Revokes a token on the API server by rewriting its token file without that line. */
function revoke(cluster: TestCluster, token: string): void {
  const lines = readFileSync(cluster.serverTokenFile, 'utf8').split('\n');
  writeFileSync(cluster.serverTokenFile, lines.filter((line) => !line.startsWith(`${token},`)).join('\n'));
}

t.test('in-cluster: the service address, the mounted CA and token, no kubeconfig', async (t) => {
  const cluster = await startTestCluster(t);
  const volume = new ProjectedVolume(join(cluster.dir, 'sa'));
  volume.write({ token: SECRETS.userToken, 'ca.crt': cluster.api.caPem, namespace: 'default' });
  const proxy = await startKubegate(t, ['--port=0'], { env: podEnv(cluster, volume.dir) });
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  t.equal(answer.status, 200, await answer.text());
  const seen = cluster.api.requests.last();
  t.equal(seen && RequestLog.header(seen, 'authorization'), `Bearer ${SECRETS.userToken}`);
  t.equal(seen?.user?.name, 'alice');
});

t.test('--service-account-dir overrides the environment and the default', async (t) => {
  const cluster = await startTestCluster(t);
  const volume = new ProjectedVolume(join(cluster.dir, 'flag-sa'));
  volume.write({ token: SECRETS.flagToken, 'ca.crt': cluster.api.caPem });
  const env = { ...podEnv(cluster, join(cluster.dir, 'does-not-exist')) };
  const proxy = await startKubegate(t, ['--port=0', '--service-account-dir', volume.dir], { env });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 200);
  t.equal(cluster.api.requests.last()?.user?.name, 'carol');
});

t.test('a rotated ca.crt is used without a restart', async (t) => {
  const cluster = await startTestCluster(t);
  const other = await startTestCluster(t);
  const volume = new ProjectedVolume(join(cluster.dir, 'sa'));
  // Start trusting the wrong CA: requests fail with a TLS error, as they would before a CA rollout reaches the pod.
  volume.write({ token: SECRETS.userToken, 'ca.crt': other.api.caPem });
  const proxy = await startKubegate(t, ['--port=0'], { env: podEnv(cluster, volume.dir) });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 502);
  // (Only the new CA: both test CAs share one subject name, so a bundle of the two would confuse OpenSSL's issuer lookup.)
  volume.write({ token: SECRETS.userToken, 'ca.crt': cluster.api.caPem });
  await pastRecheckInterval();
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 200, 'the next request trusts the rotated CA');
});

t.test('token rotation under load: zero failures, new token within 2 s, old one revoked 1 s after the swap', async (t) => {
  const cluster = await startTestCluster(t);
  const volume = new ProjectedVolume(join(cluster.dir, 'sa'));
  volume.write({ token: SECRETS.userToken, 'ca.crt': cluster.api.caPem, namespace: 'default' });
  const proxy: RunningProxy = await startKubegate(t, ['--port=0'], { env: podEnv(cluster, volume.dir) });

  const intervalMs = 10;
  let sent = 0;
  let failed = 0;
  const failures: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const fire = (): void => {
    sent++;
    const request = fetch(`${proxy.url}/api/v1/namespaces/default/pods`)
      .then(async (answer) => {
        const body = await answer.text();
        if (answer.status !== 200) {
          failed++;
          failures.push(`${answer.status} ${body.slice(0, 200)}`);
        }
      })
      .catch((error: unknown) => {
        failed++;
        failures.push(String(error));
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const timer = setInterval(fire, intervalMs);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const swappedAt = volume.write({ token: SECRETS.rotatedToken, 'ca.crt': cluster.api.caPem, namespace: 'default' });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  revoke(cluster, SECRETS.userToken);
  const revokedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  clearInterval(timer);
  await Promise.all([...inFlight]);

  const withNewToken = cluster.api.requests.all.filter((entry) => RequestLog.header(entry, 'authorization') === `Bearer ${SECRETS.rotatedToken}`);
  const firstNew = withNewToken[0]?.receivedAt ?? Number.POSITIVE_INFINITY;
  const oldAfterRevocation = cluster.api.requests.all.filter(
    (entry) => entry.receivedAt > revokedAt && RequestLog.header(entry, 'authorization') === `Bearer ${SECRETS.userToken}`,
  ).length;
  t.comment(
    `rotation under load: ${sent} requests at one per ${intervalMs} ms, ${failed} failed; ` +
      `new token first seen upstream ${firstNew - swappedAt} ms after the swap; ${oldAfterRevocation} requests with the old token after its revocation`,
  );
  t.ok(sent > 250, `a steady stream of requests was sent (${sent})`);
  t.equal(failed, 0, `zero failed requests${failures.length > 0 ? `: ${failures.slice(0, 3).join(' | ')}` : ''}`);
  t.ok(firstNew - swappedAt <= 2000, `the upstream saw the new token within 2 s of the swap (${firstNew - swappedAt} ms)`);
  t.equal(oldAfterRevocation, 0, 'nothing used the revoked token');
});

t.test('rotated client certificate files are used for the next request', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 200);
  t.equal(cluster.api.requests.last()?.user?.name, 'alice-admin');
  const renewed = await cluster.api.pki.ca.issueClientCertificate('alice-renewed', ['system:masters']);
  writeFileSync(`${cluster.admin.keyFile}.new`, renewed.keyPem);
  writeFileSync(`${cluster.admin.certFile}.new`, renewed.certPem);
  renameSync(`${cluster.admin.keyFile}.new`, cluster.admin.keyFile);
  renameSync(`${cluster.admin.certFile}.new`, cluster.admin.certFile);
  await pastRecheckInterval();
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 200);
  t.equal(cluster.api.requests.last()?.user?.name, 'alice-renewed', 'the keep-alive pool was replaced: the new certificate authenticated');
});
