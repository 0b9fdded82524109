/**
 * Syntax checks for the PromQL and LogQL embedded in dashboards, alert rules
 * and recording rules, using the same lezer grammars as Grafana's editors.
 *
 * The queries contain Grafana template variables, which are not valid
 * PromQL/LogQL, so they are replaced by something that parses in the same
 * position before parsing. Lezer never throws: it recovers by inserting error
 * nodes (⚠), which are what gets reported.
 */

// Both grammars are ESM-first packages ("type": "module") that also ship a
// CommonJS build. Under `moduleResolution: node16` TypeScript sees only their
// ESM typings and refuses a static import from this CommonJS file (TS1479), so
// the CommonJS build is loaded with require() and typed from the ESM typings.
type PromqlModule = typeof import('@prometheus-io/lezer-promql', { with: { 'resolution-mode': 'import' } });
type LogqlModule = typeof import('@grafana/lezer-logql', { with: { 'resolution-mode': 'import' } });
const promqlParser = (require('@prometheus-io/lezer-promql') as PromqlModule).parser;
const logqlParser = (require('@grafana/lezer-logql') as LogqlModule).parser;

// Derived rather than imported so we need not depend on @lezer/common directly.
type Tree = ReturnType<typeof promqlParser.parse>;
type SyntaxNode = Tree['topNode'];

type Dialect = 'promql' | 'logql';

/** Built-in Grafana variables that expand to a duration or a number. */
const BUILTIN_VALUES: Record<string, string> = {
  __interval: '5m',
  __rate_interval: '5m',
  __range: '5m',
  __auto: '5m',
  __interval_ms: '300000',
  __rate_interval_ms: '300000',
  __range_ms: '300000',
  __range_s: '300',
  __from: '1700000000000',
  __to: '1700000300000',
};

/**
 * Placeholder for a variable used as a metric or label name. The `__var_`
 * prefix is reserved in Prometheus (`__` labels are internal), so it never
 * clashes with a real name, and metricSelectors()/groupingLabels() turn it
 * back into `$name`.
 */
const PLACEHOLDER_PREFIX = '__var_';

// $name, ${name}, ${name:format}, ${name.field}, [[name]], [[name:format]]
const VARIABLE = /\$\{([A-Za-z_]\w*)[^}]*\}|\[\[([A-Za-z_]\w*)[^\]]*\]\]|\$([A-Za-z_]\w*)/y;

const GROUPING_KEYWORD = /(?:\bby|\bwithout|\bon|\bignoring|\bgroup_left|\bgroup_right)\s*$/;

interface Substitution {
  /** Range in the substituted text. */
  outFrom: number;
  outTo: number;
  /** Range in the original text. */
  inFrom: number;
  inTo: number;
}

interface Substituted {
  text: string;
  toOriginal(pos: number): number;
}

/**
 * Replaces Grafana variables outside string literals (inside strings they are
 * just text to the parser). The replacement depends on the position:
 * - built-ins such as `$__rate_interval` -> `5m`, `$__range_s` -> `300`;
 * - inside `[...]` (range, subquery) or after `offset` -> a duration;
 * - after a label matcher operator (`{job=$job}`, LogQL `| level=$l`) -> a string;
 * - label names, grouping lists, or before `{`/`[` (metric name) -> a placeholder identifier;
 * - anywhere else (thresholds, topk's k, quantiles) -> the number 1.
 */
function substituteVariables(expr: string, dialect: Dialect): Substituted {
  let out = '';
  const subs: Substitution[] = [];
  // Open brackets; for '(' whether it is a by(...)/on(...) grouping list.
  const stack: { ch: string; grouping: boolean }[] = [];
  let i = 0;

  while (i < expr.length) {
    const ch = expr[i];

    if (ch === '"' || ch === "'" || ch === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== ch) j += ch !== '`' && expr[j] === '\\' ? 2 : 1;
      out += expr.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '#') {
      // PromQL comment runs to the end of the line (LogQL has them too).
      const end = expr.indexOf('\n', i);
      const j = end === -1 ? expr.length : end;
      out += expr.slice(i, j);
      i = j;
      continue;
    }

    VARIABLE.lastIndex = i;
    const m = (ch === '$' || ch === '[') && VARIABLE.exec(expr);
    if (m) {
      const name = m[1] ?? m[2] ?? m[3];
      const replacement = replacementFor(name, expr.slice(0, i), expr.slice(i + m[0].length), stack, dialect);
      subs.push({ outFrom: out.length, outTo: out.length + replacement.length, inFrom: i, inTo: i + m[0].length });
      out += replacement;
      i += m[0].length;
      continue;
    }

    if (ch === '(' || ch === '{' || ch === '[') {
      stack.push({ ch, grouping: ch === '(' && GROUPING_KEYWORD.test(expr.slice(0, i)) });
    } else if (ch === ')' || ch === '}' || ch === ']') {
      stack.pop();
    }
    out += ch;
    i++;
  }

  return {
    text: out,
    toOriginal(pos: number): number {
      let last: Substitution | undefined;
      for (const s of subs) {
        if (s.outFrom > pos) break;
        last = s;
      }
      if (!last) return pos;
      if (pos < last.outTo) return last.inFrom;
      return last.inTo + (pos - last.outTo);
    },
  };
}

function replacementFor(name: string, before: string, after: string, stack: { ch: string; grouping: boolean }[], dialect: Dialect): string {
  if (name in BUILTIN_VALUES) return BUILTIN_VALUES[name];
  const identifier = `${PLACEHOLDER_PREFIX}${name}`;
  const top = stack[stack.length - 1];
  const prev = before.trimEnd();

  if (top?.ch === '[' || /\boffset$/.test(prev)) return '5m';
  const matchOp = dialect === 'promql' ? /(?:=~|!~|!=|[^=!<>]=)$/ : /(?:=~|!~|!=|\|=|\|~|[^=!<>]=)$/;
  // In PromQL `x != $v` outside braces is a comparison, not a label matcher.
  if (matchOp.test(prev) && (dialect === 'logql' || top?.ch === '{')) return `"${name}"`;
  if (top?.ch === '{' || top?.grouping) return identifier;
  if (/^\s*[{[]/.test(after) || /^\w/.test(after) || /\w$/.test(before)) return identifier;
  return '1';
}

function placeholderToVariable(name: string): string {
  return name.startsWith(PLACEHOLDER_PREFIX) ? `$${name.slice(PLACEHOLDER_PREFIX.length)}` : name;
}

function lineCol(text: string, pos: number): string {
  const lines = text.slice(0, pos).split('\n');
  return `${lines.length}:${lines[lines.length - 1].length + 1}`;
}

function snippet(text: string, from: number, to: number): string {
  const start = Math.max(0, from - 25);
  const end = Math.min(text.length, Math.max(to, from) + 25);
  const marked = `${text.slice(start, from)}⟪${text.slice(from, to)}⟫${text.slice(to, end)}`;
  return `${start > 0 ? '…' : ''}${marked.replace(/\s+/g, ' ')}${end < text.length ? '…' : ''}`;
}

function syntaxErrors(expr: string, dialect: Dialect): string[] {
  const language = dialect === 'promql' ? 'PromQL' : 'LogQL';
  if (expr.trim() === '') return [`${language}: empty expression`];

  const sub = substituteVariables(expr, dialect);
  const tree = (dialect === 'promql' ? promqlParser : logqlParser).parse(sub.text);

  // Recovery often emits several adjacent error nodes for one mistake; merge them.
  const spans: { from: number; to: number }[] = [];
  tree.iterate({
    enter(node) {
      if (!node.type.isError) return;
      const last = spans[spans.length - 1];
      if (last && node.from <= last.to) last.to = Math.max(last.to, node.to);
      else spans.push({ from: node.from, to: node.to });
    },
  });

  return spans.map(({ from, to }) => {
    const oFrom = sub.toOriginal(from);
    const oTo = Math.max(oFrom, sub.toOriginal(to));
    const what =
      oFrom >= expr.trimEnd().length
        ? 'unexpected end of expression'
        : oTo > oFrom
          ? `unexpected ${JSON.stringify(expr.slice(oFrom, oTo))}`
          : 'missing token';
    return `${language} ${what} at ${lineCol(expr, oFrom)}: ${snippet(expr, oFrom, oTo)}`;
  });
}

/** Syntax errors of a PromQL expression (with Grafana variables), empty when it parses. */
export function promqlErrors(expr: string): string[] {
  return syntaxErrors(expr, 'promql');
}

/** Syntax errors of a LogQL expression (with Grafana variables), empty when it parses. */
export function logqlErrors(expr: string): string[] {
  return syntaxErrors(expr, 'logql');
}

function parsePromql(expr: string): { text: string; tree: Tree } {
  const { text } = substituteVariables(expr, 'promql');
  return { text, tree: promqlParser.parse(text) };
}

/** PromQL string literal -> its value ("..." and '...' with escapes, `...` raw). */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith('`')) return body;
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

function labelNameOf(node: SyntaxNode, text: string): string {
  const raw = text.slice(node.from, node.to);
  return placeholderToVariable(node.name === 'QuotedLabelName' ? unquote(raw) : raw);
}

/**
 * Every vector selector in the expression: its metric name and the label
 * names it matches on (without `__name__`). The metric comes from the
 * identifier, the UTF-8 form `{"metric.name"}` or a `__name__="..."` matcher;
 * it is '' when it cannot be known (e.g. `{__name__=~"a|b"}`). Metric or label
 * names that are Grafana variables are returned as `$var`.
 */
export function metricSelectors(expr: string): { metric: string; labels: string[] }[] {
  const { text, tree } = parsePromql(expr);
  const result: { metric: string; labels: string[] }[] = [];

  tree.iterate({
    enter(ref) {
      if (ref.name !== 'VectorSelector') return;
      const selector = ref.node;
      let metric = '';
      const identifier = selector.getChild('Identifier');
      if (identifier) metric = placeholderToVariable(text.slice(identifier.from, identifier.to));
      const labels: string[] = [];

      for (let child = selector.getChild('LabelMatchers')?.firstChild; child; child = child.nextSibling) {
        if (child.name === 'QuotedLabelName') {
          metric = labelNameOf(child, text);
          continue;
        }
        if (child.name !== 'UnquotedLabelMatcher' && child.name !== 'QuotedLabelMatcher') continue;
        const nameNode = child.getChild('LabelName') ?? child.getChild('QuotedLabelName');
        if (!nameNode) continue;
        const label = labelNameOf(nameNode, text);
        if (label === '__name__') {
          const op = child.getChild('MatchOp')?.firstChild?.name;
          const value = child.getChild('StringLiteral');
          if (op === 'EqlSingle' && value) metric = unquote(text.slice(value.from, value.to));
        } else if (!labels.includes(label)) {
          labels.push(label);
        }
      }
      result.push({ metric, labels });
      return false;
    },
  });
  return result;
}

/** Label names used in by(...), without(...), on(...), ignoring(...), group_left(...) and group_right(...). */
export function groupingLabels(expr: string): string[] {
  const { text, tree } = parsePromql(expr);
  const labels: string[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.name !== 'GroupingLabels') return;
      for (let child = ref.node.firstChild; child; child = child.nextSibling) {
        if (child.name !== 'LabelName' && child.name !== 'QuotedLabelName') continue;
        const label = labelNameOf(child, text);
        if (!labels.includes(label)) labels.push(label);
      }
    },
  });
  return labels;
}
