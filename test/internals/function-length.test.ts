// Guard: no function in src/demo-cluster/ is longer than 100 lines; the longest elsewhere in src/ are reported.

import t from 'tap';
import ts from 'typescript';
import { sourceFiles, type SourceFile } from '../fixtures/source-tree.js';

/** The limit inside src/demo-cluster/, enforced now. */
export const DEMO_CLUSTER_LIMIT = 100;
/** The limit for the rest of src/ (issue 14: none over 80 lines; aim at about 60). */
export const PRODUCT_LIMIT = 80;
export const ENFORCE_PRODUCT_LIMIT = true;
/** How many of the longest product functions the report lists. */
const REPORTED = 15;

interface FunctionSpan {
  readonly where: string;
  readonly name: string;
  readonly lines: number;
}

/** A readable name: the declaration's own, or the variable, property or call it is bound to. */
function functionName(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText(source);
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return `<callback of ${parent.expression.getText(source).slice(0, 40)}>`;
  return '<anonymous>';
}

function isMeasured(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** Every function in a file, with its length from its first line to its closing brace (both counted). */
export function functionSpans(file: SourceFile): FunctionSpan[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (isMeasured(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ where: `${file.path}:${first + 1}`, name: functionName(node, source), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

const files = sourceFiles();
const spans = files.flatMap(functionSpans);
const inDemoCluster = (span: FunctionSpan): boolean => span.where.startsWith('src/demo-cluster/');

t.test('the measure counts a function from its first line to its closing brace', async (t) => {
  const text = ['export function three(): number {', '  return 3;', '}', 'const two = (): void => {', '};'].join('\n');
  t.same(
    functionSpans({ path: 'src/example.ts', text }).map((span) => [span.name, span.lines]),
    [['three', 3], ['two', 2]],
  );
});

t.test('the guard reads src/demo-cluster/ and the rest of src/', async (t) => {
  t.ok(files.some((file) => file.path === 'src/demo-cluster/api-server.ts'));
  t.ok(files.some((file) => file.path === 'src/cli/main.ts'));
});

t.test(`no function in src/demo-cluster/ is longer than ${DEMO_CLUSTER_LIMIT} lines`, async (t) => {
  const tooLong = spans.filter((span) => inDemoCluster(span) && span.lines > DEMO_CLUSTER_LIMIT);
  t.same(tooLong.map((span) => `${span.where} ${span.name}: ${span.lines} lines`), []);
});

t.test(`functions elsewhere in src/ longer than ${PRODUCT_LIMIT} lines`, async (t) => {
  const product = spans.filter((span) => !inDemoCluster(span)).sort((a, b) => b.lines - a.lines);
  const tooLong = product.filter((span) => span.lines > PRODUCT_LIMIT);
  t.comment(`${tooLong.length} function(s) outside src/demo-cluster/ exceed ${PRODUCT_LIMIT} lines; the longest:`);
  for (const span of product.slice(0, REPORTED)) t.comment(`  ${span.lines} lines  ${span.name}  ${span.where}`);
  if (ENFORCE_PRODUCT_LIMIT) t.same(tooLong.map((span) => `${span.where} ${span.name}: ${span.lines} lines`), []);
  else t.pass(`reported only (ENFORCE_PRODUCT_LIMIT is false)`);
});
