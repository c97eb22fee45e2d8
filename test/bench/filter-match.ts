// Micro-benchmark of the request filter with kubectl's default rules (not run by npm test):
//   npm run build && node dist/test/bench/filter-match.js
// Prints ns per acceptRequest for kubegate's filter (re2js + the one-entry memo), for re2js alone,
// and for JavaScript RegExp (what kubegate used before; wrong for RE2-only syntax, shown for cost).

import { DEFAULT_FILTER_FLAGS, acceptRequest, compileFilter, type CompiledFilter, type CompiledRule } from '../../src/server/filter.js';
import { compileGoRegexp } from '../../src/server/go-regexp.js';

const PATHS = [
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/default/pods/web-0/log',
  '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
  '/api/v1/namespaces/default/pods/web-0/exec',
];
const ROUNDS = 5;
const CALLS = 200_000;

/** The default filter with each rule compiled by `compile` instead of compileRules. */
function filterWith(compile: (source: string) => (text: string) => boolean): CompiledFilter {
  const rules = (value: string): CompiledRule[] => value.split(',').map((source) => ({ source, test: compile(source) }));
  return {
    acceptHosts: rules(DEFAULT_FILTER_FLAGS.acceptHosts),
    acceptPaths: rules(DEFAULT_FILTER_FLAGS.acceptPaths),
    rejectPaths: rules(DEFAULT_FILTER_FLAGS.rejectPaths),
    rejectMethods: rules(DEFAULT_FILTER_FLAGS.rejectMethods),
    flags: DEFAULT_FILTER_FLAGS,
  };
}

/** Median ns per decision over ROUNDS rounds; the paths rotate, the Host and method repeat (as in real traffic). */
function nsPerDecision(filter: CompiledFilter): number {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let accepted = 0;
    const start = process.hrtime.bigint();
    for (let call = 0; call < CALLS; call++) if (acceptRequest(filter, 'GET', PATHS[call % PATHS.length] as string, 'localhost').accepted) accepted++;
    rounds.push(Number(process.hrtime.bigint() - start) / CALLS);
    if (accepted !== (CALLS * 3) / 4) throw new Error(`unexpected decisions: ${accepted}`);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
}

const viaRe2js = (source: string) => {
  const regexp = compileGoRegexp(source);
  return (text: string) => regexp.test(text);
};
const viaRegExp = (source: string) => {
  const regexp = new RegExp(source);
  return (text: string) => regexp.test(text);
};
const candidates: [string, CompiledFilter][] = [
  ['kubegate (re2js + memo)', compileFilter(DEFAULT_FILTER_FLAGS)],
  ['re2js without memo', filterWith(viaRe2js)],
  ['JavaScript RegExp', filterWith(viaRegExp)],
];
for (const [name, filter] of candidates) console.log(`${name.padEnd(26)} ${nsPerDecision(filter).toFixed(0).padStart(6)} ns per acceptRequest`);
