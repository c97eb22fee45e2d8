import t from 'tap';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arrivals, handWrittenCases, hostCases, POLICIES, renderCase, runCases, sendRaw, UPGRADES, type CaseSpec, type Policy } from '../fixtures/bypass-cases.js';
import { SECRETS, startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { startKubegate } from '../fixtures/processes.js';

// The filter-bypass suite (test/fixtures/bypass-cases.ts) with a /clusters/NAME prefix in front of
// every target: with --contexts, the stripped path must be refused exactly as a single-context
// kubegate refuses it, and nothing aimed at one context may reach another. Judged by what the two
// test API servers received. Expected bypasses: zero.
t.setTimeout(300_000);

/** Two contexts: the one every case is aimed at (its name has a `/`, so its URL form is escaped), and a bystander. */
const TARGET = 'team/dev';
const TARGET_PATH = '/clusters/team%252Fdev';

function twoContextKubeconfig(target: TestCluster, bystander: TestCluster): string {
  const path = join(target.dir, 'two-contexts.yaml');
  const cluster = (name: string, c: TestCluster): string => `  - name: ${name}\n    cluster:\n      server: ${JSON.stringify(c.api.url)}\n      certificate-authority: ${JSON.stringify(c.caFile)}\n`;
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n${cluster('target', target)}${cluster('bystander', bystander)}users:\n  - name: u\n    user:\n      token: ${JSON.stringify(SECRETS.userToken)}\ncontexts:\n  - name: ${JSON.stringify(TARGET)}\n    context: { cluster: target, user: u }\n  - name: prod\n    context: { cluster: bystander, user: u }\n`,
  );
  return path;
}

/** The same target with the context prefix in front of its path (origin- and absolute-form); others (`*`, authority-form) as they are. */
function prefixed(spec: CaseSpec): CaseSpec {
  const { target } = spec;
  if (target.startsWith('/')) return { ...spec, target: `${TARGET_PATH}${target}`, label: `${TARGET_PATH} ${spec.label}` };
  const absolute = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*)(.*)$/.exec(target);
  if (absolute) return { ...spec, target: `${absolute[1] ?? ''}${TARGET_PATH}${absolute[2] ?? ''}`, label: `${TARGET_PATH} ${spec.label}` };
  return spec;
}

/**
 * Each flag set as the suite has it; an --accept-paths rule is written for the prefixed layout: it sees
 * the whole path decoded once, as kubectl's filter does (so `team%252Fdev` reads `team%2Fdev`).
 */
function withPrefix(policy: Policy): Policy {
  return {
    ...policy,
    name: `${policy.name} under ${TARGET_PATH}`,
    flags: policy.flags.map((flag) => flag.replace(/^--accept-paths=\^\//, `--accept-paths=^${decodeURIComponent(TARGET_PATH)}/`)),
  };
}

t.test('the hand-written bypass cases under four flag sets, with the /clusters/NAME prefix: zero bypasses, nothing at the other context', async (t) => {
  const target = await startTestCluster(t);
  const bystander = await startTestCluster(t);
  const kubeconfig = twoContextKubeconfig(target, bystander);
  const env = { HOME: target.dir, KUBECONFIG: undefined };
  let total = 0;
  for (const [index, base] of POLICIES.entries()) {
    const policy = withPrefix(base);
    const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0', `--contexts=${TARGET},prod`, ...policy.flags], { env, cwd: target.dir });
    const specs = [...handWrittenCases(base.apiPrefix), ...hostCases(base.apiPrefix)].map(prefixed);
    const result = await runCases(proxy, target, policy, specs, `ctx${index}`);
    total += result.sent;
    t.same(result.bypasses, [], `${policy.name}: ${result.sent} cases, ${result.arrived} reached the API server, none that should not have`);
    t.ok(result.arrived > 0, `${policy.name}: some harmless variants did reach the API server`);
    await proxy.stop();
  }
  t.equal(bystander.api.requests.received, 0, 'not one case reached the other context');
  t.ok(total >= 300, `${total} hand-written cases`);
  t.comment(`bypass suite with the context prefix: ${total} cases over ${POLICIES.length} flag sets`);
});

t.test('property: random risky paths after the /clusters/NAME prefix never bypass the default filter', async (t) => {
  const target = await startTestCluster(t);
  const bystander = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', twoContextKubeconfig(target, bystander), '--port=0', `--contexts=${TARGET},prod`], { env: { HOME: target.dir, KUBECONFIG: undefined } });
  const policy = POLICIES[0] as Policy;
  const segment = fc.oneof(
    fc.constantFrom('api', 'v1', 'namespaces', 'default', 'pods', 'p', 'exec', 'attach', '.', '..', '', 'clusters', 'prod', 'team%252Fdev', 'team%2Fdev', '%2e%2e'),
    fc.constantFrom('%2f', '%2F', '%252f', '%65xec', '%61ttach', '%00', '%c0%af', '%3f', '\\'),
  );
  const tail = fc.tuple(fc.array(segment, { maxLength: 4 }), fc.constantFrom('exec', 'attach', '%2fexec', 'x/../exec', 'exec/')).map(([middle, sub]) => `/api/v1/namespaces/default/pods/${['p', ...middle].join('/')}/${sub}`);
  let index = 0;
  let arrived = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('GET', 'POST'), fc.constantFrom('', '/', '/..', '/clusters/prod'), tail, fc.constantFrom(...UPGRADES), async (method, between, path, upgrade) => {
      const id = `ctxprop-${index++}`;
      const spec: CaseSpec = { label: `${method} ${TARGET_PATH}${between}${path}`, method, target: `${TARGET_PATH}${between}${path}`, headers: upgrade };
      const status = await sendRaw(proxy.port, renderCase(spec, id));
      for (const request of arrivals(target, id)) {
        arrived++;
        const why = policy.violation(request, { ...spec, id, status });
        if (why) throw new Error(`bypass: ${spec.label} → ${why} (kubegate answered ${status})`);
      }
      if (arrivals(bystander, id).length > 0) throw new Error(`${spec.label} reached the other context`);
    }),
    { numRuns: 300, seed: Number(process.env.KUBEGATE_FC_SEED ?? 20261202) },
  );
  t.pass(`${index} generated requests, ${arrived} arrived (all harmless)`);
});
