import t from 'tap';
import fc from 'fast-check';
import { startTestCluster } from '../fixtures/cluster.js';
import { startKubegate } from '../fixtures/processes.js';
import { arrivals, EXEC_OR_ATTACH, handWrittenCases, hostCases, POLICIES, renderCase, runCases, semanticPath, sendRaw, UPGRADES, type CaseSpec, type Policy } from '../fixtures/bypass-cases.js';

// The filter-bypass suite. Hundreds of hand-written tricks, then property-based ones, are sent as raw
// bytes to kubegate. The oracle is the test API server: it records what arrives, and every arrival
// is judged the way kube-apiserver would read it (percent-decoded, dot segments resolved, case kept).
// A request the flags should have stopped that arrives there is a bypass. Expected bypasses: zero.


// ------------------------------------------------------------------ the suites

t.test('hand-written bypass cases under four flag sets: zero bypasses', async (t) => {
  const cluster = await startTestCluster(t);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  let total = 0;
  let bypassCount = 0;
  for (const [index, policy] of POLICIES.entries()) {
    const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0', ...policy.flags], { env, cwd: cluster.dir });
    const specs = [...handWrittenCases(policy.apiPrefix), ...hostCases(policy.apiPrefix)];
    const result = await runCases(proxy, cluster, policy, specs, `hand${index}`);
    total += result.sent;
    bypassCount += result.bypasses.length;
    t.same(result.bypasses, [], `${policy.name}: ${result.sent} cases, ${result.arrived} reached the API server, none that should not have`);
    // A suite where nothing ever arrives proves nothing: harmless variants (case, ;params) must get through.
    t.ok(result.arrived > 0, `${policy.name}: some harmless variants did reach the API server`);
    await proxy.stop();
  }
  t.ok(total >= 300, `${total} hand-written cases (at least 300)`);
  t.comment(`bypass suite: ${total} hand-written cases over ${POLICIES.length} flag sets, ${bypassCount} bypasses`);
});

t.test('the oracle itself: it sees through encodings and dot segments, and keeps case', async (t) => {
  const judged = (path: string): boolean => EXEC_OR_ATTACH.test(semanticPath(path));
  t.ok(judged('/api/v1/namespaces/d/pods/p%2Fexec'));
  t.ok(judged('/api/v1/namespaces/d/pods/p/x/../exec'));
  t.ok(judged('/api/v1/namespaces/d/pods/p/x/%2e%2e/attach'));
  t.ok(judged('//api/v1/namespaces/d/pods/p//exec'));
  t.notOk(judged('/api/v1/namespaces/d/pods/p/EXEC'));
  t.notOk(judged('/api/v1/namespaces/d/pods/p/exec;x'));
  t.notOk(judged('/api/v1/namespaces/d/pods/p/portforward'));
});

t.test('property: random compositions of risky segments, methods and upgrade headers never bypass the default filter', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const policy = POLICIES[0] as Policy;
  const segment = fc.oneof(
    fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'default', 'pods', 'p', 'exec', 'attach', 'portforward', 'log', '.', '..', '', 'EXEC', 'Exec', ';x', 'exec;x'),
    fc.constantFrom('%2e', '%2E', '%2e%2e', '.%2e', '%2f', '%2F', '%252f', '%65xec', '%65%78%65%63', '%61ttach', '%00', '%c0%af', '%c0%ae', '%20', '%3f', '%23', '\\'),
    fc.stringMatching(/^[a-z0-9%.;]{1,6}$/),
  );
  // Paths that start like an exec and then wander: the interesting neighbourhood.
  const path = fc.tuple(fc.array(segment, { minLength: 0, maxLength: 4 }), fc.constantFrom('exec', 'attach', '%2fexec', 'x/../exec', 'exec/'), fc.array(segment, { maxLength: 3 })).map(
    ([middle, sub, tail]) => `/api/v1/namespaces/default/pods/${['p', ...middle].join('/')}/${sub}${tail.length ? `/${tail.join('/')}` : ''}`,
  );
  const anyPath = fc.oneof(path, fc.array(segment, { minLength: 1, maxLength: 10 }).map((parts) => `/${parts.join('/')}`));
  const slashes = fc.constantFrom('', '/', '//');
  let index = 0;
  let arrived = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'FOO'),
      slashes,
      anyPath,
      fc.constantFrom(...UPGRADES),
      fc.constantFrom('', 'http://localhost', 'http://127.0.0.1:1'),
      async (method, lead, target, upgrade, absolute) => {
        const id = `prop-${index++}`;
        const spec: CaseSpec = { label: `${method} ${absolute}${lead}${target}`, method, target: `${absolute}${lead}${target}`, headers: upgrade };
        const status = await sendRaw(proxy.port, renderCase(spec, id));
        for (const request of arrivals(cluster, id)) {
          arrived++;
          const why = policy.violation(request, { ...spec, id, status });
          if (why) throw new Error(`bypass: ${spec.label} → ${why} (kubegate answered ${status})`);
        }
      },
    ),
    { numRuns: 600, seed: Number(process.env.KUBEGATE_FC_SEED ?? 20261128) },
  );
  t.ok(arrived > 0, `${index} generated requests, ${arrived} arrived (all harmless)`);
});
