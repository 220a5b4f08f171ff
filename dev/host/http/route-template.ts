/**
 * Route templates of HTTP triggers, with the ASP.NET-style syntax the Functions host accepts: literals, `{p}`,
 * optional `{p?}`, defaults `{p=x}`, constraints `{p:int}`, `{p:alpha:minlength(2)}`, and catch-all `{*rest}`.
 * Literals match case-insensitively; values are URL-decoded (catch-all values keep their slashes).
 */
export interface RouteMatch {
  params: Record<string, string>;
}

interface Parameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: string[];
}

type Part = { kind: 'literal'; text: string } | { kind: 'param'; param: Parameter };

export class RouteTemplate {
  private readonly regex: RegExp;
  private readonly params: Parameter[] = [];
  /** Lower sorts first: literal segments win over parameters, constrained over plain, catch-all last. */
  readonly precedence: number[];

  constructor(readonly template: string) {
    const segments = template
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .filter((s) => s !== '');
    let source = '';
    this.precedence = [];
    segments.forEach((segment, index) => {
      const parts = parseSegment(segment);
      const only = parts.length === 1 ? parts[0] : undefined;
      if (only?.kind === 'param') {
        const p = only.param;
        this.params.push(p);
        if (p.catchAll) {
          source += `(?:/(?<${groupName(p)}>.*))?`;
          this.precedence.push(4);
          return;
        }
        const body = `(?<${groupName(p)}>[^/]+)`;
        const isLast = index === segments.length - 1;
        source += (p.optional || p.defaultValue !== undefined) && isLast ? `(?:/${body})?` : `/${body}`;
        this.precedence.push(p.constraints.length > 0 ? 2 : p.optional ? 3 : 2.5);
        return;
      }
      let segmentSource = '/';
      for (const part of parts) {
        if (part.kind === 'literal') segmentSource += escapeRegex(part.text);
        else {
          this.params.push(part.param);
          segmentSource += `(?<${groupName(part.param)}>[^/]+?)`;
        }
      }
      source += segmentSource;
      this.precedence.push(parts.every((p) => p.kind === 'literal') ? 1 : 2);
    });
    this.regex = new RegExp(`^${source}/?$`, 'i');
  }

  match(pathname: string): RouteMatch | undefined {
    const normalized = pathname === '' ? '/' : pathname.startsWith('/') ? pathname : `/${pathname}`;
    const m = this.regex.exec(normalized === '/' ? '' : normalized);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    for (const p of this.params) {
      const raw = m.groups?.[groupName(p)];
      let value: string | undefined;
      if (raw === undefined || raw === '') value = p.defaultValue;
      else value = p.catchAll ? raw : safeDecode(raw);
      if (value === undefined) {
        if (p.optional || p.catchAll) continue;
        return undefined;
      }
      if (!p.constraints.every((c) => satisfies(c, value))) return undefined;
      params[p.name] = value;
    }
    return { params };
  }
}

/** Orders templates so the most specific one is tried first, as the host's router does. */
export function compareRoutes(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

function parseSegment(segment: string): Part[] {
  // Doubled braces are escapes ('{{' is a literal '{'), also inside parameters, e.g. {code:regex(^\\d{{3}}$)}.
  const parts: Part[] = [];
  let text = '';
  let inParam = false;
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    const next = segment[i + 1];
    if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
      text += ch;
      i++;
    } else if (ch === '{' && !inParam) {
      if (text) parts.push({ kind: 'literal', text });
      text = '';
      inParam = true;
    } else if (ch === '}' && inParam) {
      parts.push({ kind: 'param', param: parseParameter(text) });
      text = '';
      inParam = false;
    } else text += ch ?? '';
  }
  if (inParam) throw new Error(`Invalid route template segment '${segment}': unclosed '{'`);
  if (text) parts.push({ kind: 'literal', text });
  return parts;
}

function parseParameter(text: string): Parameter {
  let body = text;
  const catchAll = body.startsWith('*');
  body = body.replace(/^\*+/, '');
  let defaultValue: string | undefined;
  const eq = body.indexOf('=');
  if (eq >= 0) {
    defaultValue = body.slice(eq + 1);
    body = body.slice(0, eq);
  }
  const optional = body.endsWith('?');
  if (optional) body = body.slice(0, -1);
  // Constraints are separated by ':' but regex(...) may itself contain ':'.
  const pieces: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      pieces.push(current);
      current = '';
    } else current += ch;
  }
  pieces.push(current);
  const [name = '', ...constraints] = pieces;
  return { name, optional, catchAll, defaultValue, constraints };
}

function groupName(p: Parameter): string {
  return `p_${Buffer.from(p.name).toString('hex')}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function satisfies(constraint: string, value: string): boolean {
  const m = /^(\w+)(?:\((.*)\))?$/s.exec(constraint);
  if (!m) return true;
  const kind = (m[1] ?? '').toLowerCase();
  const arg = m[2] ?? '';
  const num = Number(value);
  const args = arg.split(',').map((a) => Number(a.trim()));
  switch (kind) {
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'guid':
      return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(value);
    case 'double':
    case 'float':
    case 'decimal':
      return value.trim() !== '' && Number.isFinite(num);
    case 'datetime':
      return !Number.isNaN(Date.parse(value));
    case 'minlength':
      return value.length >= (args[0] ?? 0);
    case 'maxlength':
      return value.length <= (args[0] ?? Infinity);
    case 'length':
      return args.length > 1
        ? value.length >= (args[0] ?? 0) && value.length <= (args[1] ?? Infinity)
        : value.length === args[0];
    case 'min':
      return /^-?\d+$/.test(value) && num >= (args[0] ?? -Infinity);
    case 'max':
      return /^-?\d+$/.test(value) && num <= (args[0] ?? Infinity);
    case 'range':
      return /^-?\d+$/.test(value) && num >= (args[0] ?? -Infinity) && num <= (args[1] ?? Infinity);
    case 'regex':
      return new RegExp(arg, 'i').test(value);
    default:
      return true;
  }
}
