// KPI formulas as text, so that a locality can change them without code (DESIGN "KPIs"):
//   `及时受理率=acceptedInTime/received; 满意率=(satisfied+basicallySatisfied)/evaluated`
// An expression uses counter names, numbers, + - * / and parentheses. A division by zero makes the KPI
// undefined (no case to judge), never Infinity.

export type Expr =
  | { readonly op: 'num'; readonly value: number }
  | { readonly op: 'var'; readonly name: string }
  | { readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr };

export interface Formula {
  readonly name: string;
  readonly text: string;
  readonly expr: Expr;
}

export class FormulaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormulaError';
  }
}

const tokenPattern = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9]*)|([-+*/()]))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  tokenPattern.lastIndex = 0;
  while (tokenPattern.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(tokenPattern.lastIndex))) break;
    const at = tokenPattern.lastIndex;
    const m = tokenPattern.exec(text);
    if (!m) throw new FormulaError(`unexpected "${text.slice(at).trim().slice(0, 10)}" at ${at} in "${text}"`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
  }
  return tokens;
}

/** Parses one expression; every name must be a known counter. */
export function parseExpr(text: string, counters: readonly string[]): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const fail = (what: string): never => {
    throw new FormulaError(`${what} in "${text}"`);
  };
  const primary = (): Expr => {
    const t = tokens[i++];
    if (t === undefined) return fail('the expression ends too early');
    if (t === '(') {
      const inner = sum();
      if (tokens[i++] !== ')') fail('a ")" is missing');
      return inner;
    }
    if (/^\d/.test(t)) return { op: 'num', value: Number(t) };
    if (/^[A-Za-z]/.test(t)) {
      if (!counters.includes(t)) fail(`unknown counter "${t}" (known: ${counters.join(', ')})`);
      return { op: 'var', name: t };
    }
    return fail(`unexpected "${t}"`);
  };
  const product = (): Expr => {
    let left = primary();
    while (tokens[i] === '*' || tokens[i] === '/') {
      const op = tokens[i++] as '*' | '/';
      left = { op, left, right: primary() };
    }
    return left;
  };
  const sum = (): Expr => {
    let left = product();
    while (tokens[i] === '+' || tokens[i] === '-') {
      const op = tokens[i++] as '+' | '-';
      left = { op, left, right: product() };
    }
    return left;
  };
  const expr = sum();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return expr;
}

/** The value over the counts, or undefined when it divides by zero. Missing counters count 0. */
export function evaluate(expr: Expr, counts: Readonly<Record<string, number>>): number | undefined {
  switch (expr.op) {
    case 'num':
      return expr.value;
    case 'var':
      return counts[expr.name] ?? 0;
    default: {
      const a = evaluate(expr.left, counts);
      const b = evaluate(expr.right, counts);
      if (a === undefined || b === undefined) return undefined;
      if (expr.op === '+') return a + b;
      if (expr.op === '-') return a - b;
      if (expr.op === '*') return a * b;
      return b === 0 ? undefined : a / b;
    }
  }
}

/** Parses `name=expression; name=expression …` (names may be Chinese). */
export function parseFormulas(text: string, counters: readonly string[]): Formula[] {
  const out: Formula[] = [];
  for (const part of text.split(/[;\n]/)) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FormulaError(`"${part.trim()}" is not name=expression`);
    const name = part.slice(0, eq).trim();
    if (out.some((f) => f.name === name)) throw new FormulaError(`the KPI "${name}" is defined twice`);
    const exprText = part.slice(eq + 1).trim();
    out.push({ name, text: exprText, expr: parseExpr(exprText, counters) });
  }
  if (out.length === 0) throw new FormulaError('no KPI formula given');
  return out;
}
