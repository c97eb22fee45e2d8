// Guard: the import rules between src/ folders, read from every import of every .ts file under src/
// (type imports, re-exports and dynamic import() included), and the import cycles outside src/demo-cluster/.

import { dirname, posix } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { sourceFiles, type SourceFile } from '../fixtures/source-tree.js';

/**
 * A pattern: `src/folder/` (every file under it), `src/file.ts` (that file), or a package name
 * (`fastify` matches `fastify` and `fastify/...`; `@scope/` matches the whole scope).
 */
type Pattern = string;

export interface ImportRule {
  readonly name: string;
  /** The files the rule applies to... */
  readonly from: readonly Pattern[];
  /** ...except these. */
  readonly exceptFrom?: readonly Pattern[];
  /** What those files must not import... */
  readonly mustNotImport: readonly Pattern[];
  /** ...except these. */
  readonly exceptImport?: readonly Pattern[];
}

/** Add a row to add a rule. */
export const IMPORT_RULES: readonly ImportRule[] = [
  {
    name: 'src/demo-cluster/ imports nothing from src/ outside src/demo-cluster/',
    from: ['src/demo-cluster/'],
    mustNotImport: ['src/'],
    exceptImport: ['src/demo-cluster/'],
  },
  {
    name: 'outside src/demo-cluster/, only src/cli/demo-mode.ts (the --demo entry) imports from it',
    from: ['src/'],
    exceptFrom: ['src/demo-cluster/', 'src/cli/demo-mode.ts'],
    mustNotImport: ['src/demo-cluster/'],
  },
  {
    name: 'src/kubeconfig/ and src/auth/ never import fastify or undici',
    from: ['src/kubeconfig/', 'src/auth/'],
    mustNotImport: ['fastify', '@fastify/', 'undici'],
  },
  {
    name: 'src/kubeconfig/ and src/auth/ know nothing of how requests are served or sent',
    from: ['src/kubeconfig/', 'src/auth/'],
    mustNotImport: ['src/server/', 'src/upstream/', 'src/cli/', 'src/options/', 'src/observe/'],
  },
  {
    name: 'src/kubeconfig/ (the domain) does not import the credential sources',
    from: ['src/kubeconfig/'],
    mustNotImport: ['src/auth/'],
  },
  {
    name: 'the transport (src/upstream/) never imports the server, the options or the command',
    from: ['src/upstream/'],
    mustNotImport: ['src/server/', 'src/options/', 'src/cli/', 'fastify', '@fastify/'],
  },
  {
    name: 'the server (src/server/) decides and never dials: no node:net/node:tls connect, no undici',
    from: ['src/server/'],
    mustNotImport: ['undici', 'src/cli/'],
  },
  {
    name: 'only src/cli/ and src/bin.ts run the command (nothing below imports them)',
    from: ['src/'],
    exceptFrom: ['src/cli/', 'src/bin.ts'],
    mustNotImport: ['src/cli/', 'src/bin.ts'],
  },
  {
    name: 'src/ui/page/ (the browser code, bundled on its own) imports nothing from outside it but the wire types (its tsconfig has no Node types either)',
    from: ['src/ui/page/'],
    mustNotImport: ['src/'],
    exceptImport: ['src/ui/page/', 'src/ui/wire.ts'],
  },
  {
    name: 'outside src/ui/page/, nothing imports the browser code',
    from: ['src/'],
    exceptFrom: ['src/ui/page/'],
    mustNotImport: ['src/ui/page/'],
  },
];

/** No import cycle among src/ files, type imports included. */
export const ENFORCE_NO_CYCLES = true;

export interface ImportEdge {
  readonly from: string;
  readonly specifier: string;
  /** The repository-relative file a relative specifier names, or the specifier itself for a package. */
  readonly target: string;
  readonly typeOnly: boolean;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** Every module specifier a file names, with whether the import is erased (types only). */
export function importSpecifiers(file: SourceFile): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const argument = node.arguments[0];
      if (argument && ts.isStringLiteralLike(argument)) found.push({ specifier: argument.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `./x.js` from `src/a/b.ts` → `src/a/x.ts`, the way nodenext maps an emitted .js name to its source. */
export function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string {
  if (!specifier.startsWith('.')) return specifier;
  const joined = posix.normalize(posix.join(dirname(from).split('\\').join('/'), specifier));
  const candidates = [joined.replace(/\.js$/, '.ts'), joined, `${joined}.ts`, `${joined}/index.ts`];
  return candidates.find((candidate) => known.has(candidate)) ?? joined;
}

export function importEdges(files: readonly SourceFile[]): ImportEdge[] {
  const known = new Set(files.map((file) => file.path));
  return files.flatMap((file) =>
    importSpecifiers(file).map(({ specifier, typeOnly }) => ({ from: file.path, specifier, target: resolveSpecifier(file.path, specifier, known), typeOnly })),
  );
}

export function matches(pattern: Pattern, target: string): boolean {
  if (pattern.startsWith('src/')) return pattern.endsWith('/') ? target.startsWith(pattern) : target === pattern;
  if (pattern.endsWith('/')) return target.startsWith(pattern);
  return target === pattern || target.startsWith(`${pattern}/`);
}

const matchesAny = (patterns: readonly Pattern[] | undefined, target: string): boolean => (patterns ?? []).some((pattern) => matches(pattern, target));

/** The imports that break a rule, as `file → specifier` lines. */
export function violations(rule: ImportRule, edges: readonly ImportEdge[]): string[] {
  return edges
    .filter((edge) => matchesAny(rule.from, edge.from) && !matchesAny(rule.exceptFrom, edge.from))
    .filter((edge) => matchesAny(rule.mustNotImport, edge.target) && !matchesAny(rule.exceptImport, edge.target))
    .map((edge) => `${edge.from} → ${edge.specifier}${edge.typeOnly ? ' (type only)' : ''}`);
}

export interface ImportCycle {
  /** Every file of one strongly connected component, sorted. */
  readonly files: readonly string[];
  /** A shortest cycle through its first file, which returns to it. */
  readonly example: readonly string[];
}

/** Strongly connected components of more than one file (or a file importing itself). */
export function importCycles(edges: readonly ImportEdge[], include: (path: string) => boolean): ImportCycle[] {
  const graph = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (!include(edge.from) || !include(edge.target)) continue;
    const next = graph.get(edge.from) ?? new Set<string>();
    next.add(edge.target);
    graph.set(edge.from, next);
    if (!graph.has(edge.target)) graph.set(edge.target, new Set());
  }
  return stronglyConnected(graph)
    .filter((component) => component.length > 1 || graph.get(component[0] as string)?.has(component[0] as string))
    .map((component) => ({ files: component, example: cycleWithin(graph, new Set(component)) }));
}

/** Tarjan's algorithm, recursive: src/ is a few hundred files deep at most. */
function stronglyConnected(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

/** One cycle inside a component, from its first file back to it (breadth-first, so a shortest one). */
function cycleWithin(graph: ReadonlyMap<string, ReadonlySet<string>>, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0] as string;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of graph.get(node) ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0] as string) as string);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

const files = sourceFiles();
const edges = importEdges(files);
const known = new Set(files.map((file) => file.path));

t.test('the import reader sees every kind of import, and the rules can fail', async (t) => {
  const fixture: SourceFile = {
    path: 'src/demo-cluster/example.ts',
    text: [
      "import type { Logger } from '../log.js';",
      "import { a } from './store.js';",
      "export { b } from '../kubeconfig/load.js';",
      "export type { C } from '../errors.js';",
      "const lazy = await import('../server.js');",
      "let t: import('../options.js').Options;",
    ].join('\n'),
  };
  const fixtureEdges = importEdges([fixture, { path: 'src/demo-cluster/store.ts', text: '' }]);
  t.same(
    fixtureEdges.map((edge) => [edge.target, edge.typeOnly]),
    [['src/log.js', true], ['src/demo-cluster/store.ts', false], ['src/kubeconfig/load.js', false], ['src/errors.js', true], ['src/server.js', false], ['src/options.js', true]],
  );
  t.equal(violations(IMPORT_RULES[0] as ImportRule, fixtureEdges).length, 5, 'each import leaving src/demo-cluster/ is a violation');
  const cycle = importEdges([
    { path: 'src/a.ts', text: "import './b.js';" },
    { path: 'src/b.ts', text: "import type { X } from './a.js';" },
    { path: 'src/c.ts', text: "import './a.js';" },
  ]);
  t.same(importCycles(cycle, () => true), [{ files: ['src/a.ts', 'src/b.ts'], example: ['src/a.ts', 'src/b.ts', 'src/a.ts'] }]);
});

t.test('the guard reads src/ and resolves every relative import to a file in it', async (t) => {
  t.ok(files.some((file) => file.path === 'src/cli/demo-mode.ts'));
  t.ok(edges.some((edge) => edge.from === 'src/cli/main.ts' && edge.target === 'src/cli/demo-mode.ts'), 'the --demo entry is a dynamic import and is seen');
  const unresolved = edges.filter((edge) => edge.specifier.startsWith('.') && !known.has(edge.target));
  t.same(unresolved.map((edge) => `${edge.from} → ${edge.specifier}`), []);
});

for (const rule of IMPORT_RULES) {
  t.test(rule.name, async (t) => {
    t.same(violations(rule, edges), []);
  });
}

t.test('no import cycle among src/ files outside src/demo-cluster/', async (t) => {
  const cycles = importCycles(edges, (path) => path.startsWith('src/') && !path.startsWith('src/demo-cluster/'));
  t.comment(`${cycles.length} import cycle(s) outside src/demo-cluster/ (type imports included):`);
  for (const cycle of cycles) {
    const others = cycle.files.length > cycle.example.length - 1 ? ` (one of ${cycle.files.length} files in a knot: ${cycle.files.join(', ')})` : '';
    t.comment(`  ${cycle.example.join(' → ')}${others}`);
  }
  if (ENFORCE_NO_CYCLES) t.same(cycles.map((cycle) => cycle.example.join(' → ')), []);
  else t.pass('reported only (ENFORCE_NO_CYCLES is false)');
});
