/**
 * Which telemetry names the app really emits: read from the sources with the TypeScript parser, not from the list of
 * declared names (src/telemetry/names.ts), so a dashboard cannot query a name that is declared but never sent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import ts from 'typescript';

/** src/**\/*.ts (without src/telemetry, which declares and sends but decides nothing), path → text. */
export function readAppSources(root: string): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path.relative(root, full) !== path.join('src', 'telemetry')) walk(full);
      } else if (entry.name.endsWith('.ts')) sources.set(path.relative(root, full), readFileSync(full, 'utf8'));
    }
  };
  walk(path.join(root, 'src'));
  return sources;
}

export interface EmittedNames {
  readonly events: ReadonlySet<string>;
  readonly metrics: ReadonlySet<string>;
}

/** The call a name expression is the first argument of, looking through `a ? X : Y` and parentheses. */
function enclosingTrackCall(node: ts.Node): string | undefined {
  let child: ts.Node = node;
  let parent = node.parent;
  while (
    parent &&
    (ts.isConditionalExpression(parent) || ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent))
  ) {
    if (ts.isConditionalExpression(parent) && parent.condition === child) return undefined;
    child = parent;
    parent = parent.parent;
  }
  if (!parent || !ts.isCallExpression(parent) || parent.arguments[0] !== child) return undefined;
  const callee = parent.expression;
  const name = ts.isPropertyAccessExpression(callee)
    ? callee.name.text
    : ts.isIdentifier(callee)
      ? callee.text
      : undefined;
  return name === 'trackEvent' || name === 'trackMetric' ? name : undefined;
}

/**
 * Names passed to `trackEvent`/`trackMetric` as `TelemetryEvents.X` / `TelemetryMetrics.X`, and event names that
 * orchestrations hand to the progress activity as `event: { name: 'X' }` (it emits them with trackEvent).
 */
export function emittedTelemetryNames(sources: ReadonlyMap<string, string>): EmittedNames {
  const events = new Set<string>();
  const metrics = new Set<string>();
  for (const [file, text] of sources) {
    const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
        const holder = node.expression.text;
        if ((holder === 'TelemetryEvents' || holder === 'TelemetryMetrics') && enclosingTrackCall(node)) {
          (holder === 'TelemetryEvents' ? events : metrics).add(node.name.text);
        }
      }
      if (
        ts.isPropertyAssignment(node) &&
        ts.isIdentifier(node.name) &&
        node.name.text === 'event' &&
        ts.isObjectLiteralExpression(node.initializer)
      ) {
        for (const p of node.initializer.properties) {
          if (
            ts.isPropertyAssignment(p) &&
            ts.isIdentifier(p.name) &&
            p.name.text === 'name' &&
            ts.isStringLiteral(p.initializer)
          )
            events.add(p.initializer.text);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return { events, metrics };
}
