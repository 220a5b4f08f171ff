/**
 * Reads the ARM JSON that `bicep build` produces: nested deployments, template expressions, and the values the
 * infra consistency rules look at (app settings, role assignments, Event Grid subscriptions, telemetry queries).
 *
 * @remarks Template expressions (`"[fn(...)]"`) are parsed, not evaluated: the checks only need string literals,
 * `createObject` keys, `variables('x')` / `parameters('x')` references and indexes into literal variables.
 */

/** A node of a template expression. */
export type ArmExpr =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly ArmExpr[] }
  | { readonly kind: 'member'; readonly object: ArmExpr; readonly property: string }
  | { readonly kind: 'index'; readonly object: ArmExpr; readonly index: ArmExpr };

/** Parses the inside of `"[ ... ]"` (without the brackets). */
export function parseArmExpression(text: string): ArmExpr {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`ARM expression: ${what} at ${i} in ${text.slice(0, 120)}`);
  };
  const expect = (c: string): void => {
    skip();
    if (text[i] !== c) fail(`expected '${c}'`);
    i++;
  };
  const identifier = (): string => {
    const m = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*/.exec(text.slice(i));
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const primary = (): ArmExpr => {
    skip();
    const c = text[i];
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          return { kind: 'string', value };
        }
        value += text[i];
        i++;
      }
    }
    const num = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'number', value: Number(num[0]) };
    }
    const name = identifier();
    skip();
    if (text[i] !== '(') return { kind: 'call', name, args: [] };
    i++;
    const args: ArmExpr[] = [];
    skip();
    if (text[i] === ')') i++;
    else
      for (;;) {
        args.push(expression());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === ')') {
          i++;
          break;
        } else fail("expected ',' or ')'");
      }
    return { kind: 'call', name, args };
  };
  const expression = (): ArmExpr => {
    let node = primary();
    for (;;) {
      skip();
      if (text[i] === '.') {
        i++;
        node = { kind: 'member', object: node, property: identifier() };
      } else if (text[i] === '[') {
        i++;
        const index = expression();
        expect(']');
        node = { kind: 'index', object: node, index };
      } else return node;
    }
  };
  const result = expression();
  skip();
  if (i !== text.length) fail('trailing text');
  return result;
}

/** The parsed expression when `value` is an ARM expression string, else undefined. */
export function asExpression(value: unknown): ArmExpr | undefined {
  if (typeof value !== 'string' || !value.startsWith('[') || value.startsWith('[[') || !value.endsWith(']'))
    return undefined;
  return parseArmExpression(value.slice(1, -1));
}

/** The expression as text again (for messages and simple pattern checks). */
export function printArm(node: ArmExpr): string {
  switch (node.kind) {
    case 'string':
      return `'${node.value.replace(/'/g, "''")}'`;
    case 'number':
      return String(node.value);
    case 'call':
      return `${node.name}(${node.args.map(printArm).join(', ')})`;
    case 'member':
      return `${printArm(node.object)}.${node.property}`;
    case 'index':
      return `${printArm(node.object)}[${printArm(node.index)}]`;
  }
}

/** Every node of an expression, depth first. */
export function walkArm(node: ArmExpr, visit: (n: ArmExpr) => void): void {
  visit(node);
  if (node.kind === 'call') node.args.forEach((a) => walkArm(a, visit));
  else if (node.kind === 'member') walkArm(node.object, visit);
  else if (node.kind === 'index') {
    walkArm(node.object, visit);
    walkArm(node.index, visit);
  }
}

export interface ArmTemplate {
  readonly parameters?: Record<string, unknown>;
  readonly variables?: Record<string, unknown>;
  readonly resources: unknown;
}

export interface ArmResource {
  readonly type: string;
  readonly apiVersion: string;
  readonly name: unknown;
  readonly properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** A resource with the template that declares it and the chain of nested deployment names above it. */
export interface LocatedResource {
  readonly resource: ArmResource;
  readonly template: ArmTemplate;
  /** Nested deployment names from the root, e.g. `['azureml-workspace-link', 'azureml-system-topic']`. */
  readonly deployment: readonly string[];
}

function resourceList(template: ArmTemplate): ArmResource[] {
  const r = template.resources;
  if (Array.isArray(r)) return r as ArmResource[];
  if (r && typeof r === 'object') return Object.values(r as Record<string, ArmResource>);
  return [];
}

/**
 * A nested deployment's name with its computed parts as `*`: `[format('a-{0}', …)]` is `a-*`, matching the Bicep
 * module's `name: 'a-${suffix}'` read the same way.
 */
export function deploymentName(name: unknown): string {
  const expression = asExpression(name);
  if (!expression) return String(name);
  if (expression.kind === 'call' && expression.name === 'format' && expression.args[0]?.kind === 'string') {
    return expression.args[0].value.replace(/\{\d+\}/g, '*');
  }
  return printArm(expression);
}

/** Every resource of the template and of its nested (module) deployments. */
export function allResources(template: ArmTemplate, deployment: readonly string[] = []): LocatedResource[] {
  const found: LocatedResource[] = [];
  for (const resource of resourceList(template)) {
    if (resource.existing === true) continue; // a reference (languageVersion 2.0 lists `existing` resources)
    found.push({ resource, template, deployment });
    const nested = (resource.properties as { template?: ArmTemplate } | undefined)?.template;
    if (resource.type === 'Microsoft.Resources/deployments' && nested) {
      found.push(...allResources(nested, [...deployment, deploymentName(resource.name)]));
    }
  }
  return found;
}

/**
 * The value of `variables('name')` in a template when it is a literal (object, array, string), following variables
 * that only name another one (`loadJsonContent` compiles to `"x": "[variables('$fxv#0')]"`).
 */
export function literalVariable(template: ArmTemplate, name: string, depth = 0): unknown {
  const value = template.variables?.[name];
  const expression = depth < 10 ? asExpression(value) : undefined;
  return expression ? resolveLiteral(template, expression, depth + 1) : value;
}

/** Resolves `variables('v')` (and `variables('v')['key']`) against literal variables of the template. */
export function resolveLiteral(template: ArmTemplate, node: ArmExpr, depth = 0): unknown {
  if (node.kind === 'string' || node.kind === 'number') return node.value;
  if (node.kind === 'call' && node.name === 'variables' && node.args[0]?.kind === 'string') {
    return literalVariable(template, node.args[0].value, depth);
  }
  if (node.kind === 'index') {
    const object = resolveLiteral(template, node.object, depth);
    const key = resolveLiteral(template, node.index, depth);
    if (object && typeof object === 'object' && (typeof key === 'string' || typeof key === 'number')) {
      return (object as Record<string, unknown>)[key];
    }
  }
  if (node.kind === 'member') {
    const object = resolveLiteral(template, node.object, depth);
    if (object && typeof object === 'object') return (object as Record<string, unknown>)[node.property];
  }
  return undefined;
}

/** Key/value pairs of every `createObject(k1, v1, k2, v2, …)` in an expression (values printed). */
export function createObjectEntries(node: ArmExpr): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [];
  walkArm(node, (n) => {
    if (n.kind !== 'call' || n.name !== 'createObject') return;
    for (let k = 0; k + 1 < n.args.length; k += 2) {
      const key = n.args[k];
      const value = n.args[k + 1];
      if (key?.kind === 'string' && value) entries.push({ name: key.value, value: printArm(value) });
    }
  });
  return entries;
}

/** Every string literal in a JSON value, including those inside template expressions. */
export function stringLiterals(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    const expression = asExpression(value);
    if (expression) walkArm(expression, (n) => (n.kind === 'string' ? out.push(n.value) : undefined));
    else out.push(value);
  } else if (Array.isArray(value)) value.forEach((v) => stringLiterals(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => stringLiterals(v, out));
  return out;
}
