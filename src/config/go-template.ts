/**
 * A parse check for the Go text/template annotations and labels of an alert,
 * as Prometheus parses them when it loads a rules file
 * (`rulefmt.testTemplateParsing`): a template that does not parse makes
 * Prometheus refuse the whole file, so synth refuses it first.
 *
 * It follows Go's text/template lexer and parser for what can appear in an
 * alert: text, actions with trim markers, comments, strings, numbers, fields,
 * variables, pipelines, parentheses and if/else/range/with/end blocks. Like
 * Prometheus it predeclares `$labels`, `$externalLabels`, `$externalURL` and
 * `$value`, and it knows the functions Go and Prometheus define, because Go
 * reports an unknown function or variable at parse time. What it refuses,
 * promtool refuses too (test/extra-alert-rules.test.ts runs both).
 */

/** Go's built-in template functions. */
const GO_FUNCTIONS = [
  'and', 'call', 'html', 'index', 'slice', 'js', 'len', 'not', 'or', 'print', 'printf', 'println', 'urlquery',
  'eq', 'ge', 'gt', 'le', 'lt', 'ne',
];

/** The functions Prometheus adds (template.NewTemplateExpander, Prometheus 3.13). */
const PROMETHEUS_FUNCTIONS = [
  'query', 'first', 'label', 'value', 'strvalue', 'args', 'reReplaceAll', 'safeHtml', 'match', 'title', 'toUpper', 'toLower',
  'graphLink', 'tableLink', 'sortByLabel', 'stripPort', 'stripDomain', 'humanize', 'humanize1024', 'humanizeDuration',
  'humanizePercentage', 'humanizeTimestamp', 'toTime', 'toDuration', 'now', 'pathPrefix', 'externalURL', 'parseDuration',
  'urlQueryEscape', 'tmpl',
];

const FUNCTIONS: ReadonlySet<string> = new Set([...GO_FUNCTIONS, ...PROMETHEUS_FUNCTIONS]);

/** The variables Prometheus defines before every alert template. */
const PREDECLARED = ['$', '$labels', '$externalLabels', '$externalURL', '$value'];

type TokenKind = 'string' | 'number' | 'char' | 'field' | 'variable' | 'identifier' | 'dot' | 'pipe' | 'declare' | 'assign'
  | 'comma' | 'leftParen' | 'rightParen' | 'other';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Whether space separates it from the token before: `"a".b` is a chain, `"a" .b` two arguments. */
  readonly spaced: boolean;
}

class TemplateSyntaxError extends Error {}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string) => c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);

/**
 * Why Prometheus cannot parse `text` as an alert template, or undefined when
 * it can.
 */
export function goTemplateSyntaxError(text: string): string | undefined {
  try {
    parseTemplate(text);
    return undefined;
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return err.message;
    throw err;
  }
}

/** Splits the text into actions (the token lists between `{{` and `}}`), then checks their nesting and names. */
function parseTemplate(text: string): void {
  const scopes: string[][] = [[...PREDECLARED]];
  const blocks: string[] = [];
  for (const { tokens, line } of actions(text)) {
    const fail = (message: string): never => {
      throw new TemplateSyntaxError(`line ${line}: ${message}`);
    };
    const first = tokens[0];
    const keyword = first?.kind === 'identifier' ? first.text : undefined;
    switch (keyword) {
      case 'if':
      case 'range':
      case 'with':
        blocks.push(keyword);
        scopes.push([]);
        pipeline(tokens.slice(1), scopes, keyword, fail);
        continue;
      case 'else': {
        const open = blocks[blocks.length - 1];
        if (!open) fail('unexpected {{else}}');
        // Variables declared before the else stay visible after it, as in Go (they end at {{end}}).
        const rest = tokens.slice(1);
        if (rest.length === 0) continue;
        // `{{else if ...}}` and `{{else with ...}}` continue the same block.
        if (rest[0].kind === 'identifier' && (rest[0].text === 'if' || rest[0].text === 'with')) {
          pipeline(rest.slice(1), scopes, rest[0].text, fail);
          continue;
        }
        fail(`unexpected ${describe(rest[0])} in else`);
        continue;
      }
      case 'end':
        if (tokens.length > 1) fail(`unexpected ${describe(tokens[1])} in end`);
        if (!blocks.pop()) fail('unexpected {{end}}');
        scopes.pop();
        continue;
      case 'break':
      case 'continue':
        if (!blocks.includes('range')) fail(`{{${keyword}}} outside {{range}}`);
        if (tokens.length > 1) fail(`unexpected ${describe(tokens[1])} in {{${keyword}}}`);
        continue;
      case 'define':
      case 'block':
      case 'template': {
        if (keyword === 'define' && blocks.length > 0) fail('unexpected <define> in command');
        if (tokens[1]?.kind !== 'string') fail(`unexpected ${tokens[1] ? describe(tokens[1]) : 'end of action'} in ${keyword} clause`);
        const rest = tokens.slice(2);
        if (keyword === 'define' && rest.length > 0) fail(`unexpected ${describe(rest[0])} in define clause`);
        if (keyword === 'block' && rest.length === 0) fail('missing value for block clause');
        if (rest.length > 0) pipeline(rest, scopes, keyword, fail);
        if (keyword !== 'template') {
          blocks.push(keyword);
          scopes.push([]);
        }
        continue;
      }
      default:
        pipeline(tokens, scopes, 'command', fail);
    }
  }
  if (blocks.length > 0) throw new TemplateSyntaxError(`unexpected EOF: {{${blocks[blocks.length - 1]}}} has no {{end}}`);
}

function describe(token: Token): string {
  return `"${token.text}"`;
}

/** Checks one pipeline: an optional `$x :=` declaration, then commands separated by `|`. */
function pipeline(tokens: Token[], scopes: string[][], context: string, fail: (m: string) => never): void {
  const defined = (name: string) => scopes.some((s) => s.includes(name));
  let rest = tokens;
  const declaration = rest.findIndex((t) => t.kind === 'declare' || t.kind === 'assign');
  if (declaration >= 0) {
    const names = rest.slice(0, declaration);
    const variables = names.filter((t) => t.kind === 'variable');
    const commas = names.filter((t) => t.kind === 'comma');
    const wellFormed =
      variables.length >= 1 &&
      variables.length === commas.length + 1 &&
      names.every((t, i) => t.kind === (i % 2 === 0 ? 'variable' : 'comma')) &&
      variables.every((v) => !v.text.includes('.'));
    if (wellFormed) {
      if (variables.length > 1 && (context !== 'range' || variables.length > 2)) fail('too many declarations in command');
      // Go declares the variable before it parses the pipeline, and treats "=" to an unknown name like ":=".
      scopes[scopes.length - 1].push(...variables.map((v) => v.text));
      commands(rest.slice(declaration + 1), defined, fail);
      return;
    }
  }
  if (rest.length === 0 && context !== 'command') fail(`missing value for ${context}`);
  commands(rest, defined, fail);
}

function commands(tokens: Token[], defined: (name: string) => boolean, fail: (m: string) => never): void {
  let command: Token[] = [];
  const all: Token[][] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'leftParen') depth++;
    if (t.kind === 'rightParen') depth--;
    if (t.kind === 'pipe' && depth === 0) {
      all.push(command);
      command = [];
    } else command.push(t);
  }
  all.push(command);
  // Go accepts a trailing "|" ("{{ $value |}}"), not an empty command before another one.
  if (all.length > 1 && all[all.length - 1].length === 0) all.pop();
  all.forEach((c, i) => {
    if (c.length === 0) fail(i === 0 && all.length === 1 ? 'missing value for command' : 'unexpected "|" in command');
    operands(c, defined, fail);
  });
}

/** The operands of one command, each a value, a function name or a parenthesized pipeline. */
function operands(tokens: Token[], defined: (name: string) => boolean, fail: (m: string) => never): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    // Operands are separated by space: `humanize(1)` and `"a""b"` are refused.
    if (i > 0 && !t.spaced) fail(`unexpected ${describe(t)} in operand`);
    switch (t.kind) {
      case 'leftParen': {
        let depth = 1;
        let j = i + 1;
        for (; j < tokens.length && depth > 0; j++) {
          if (tokens[j].kind === 'leftParen') depth++;
          if (tokens[j].kind === 'rightParen') depth--;
        }
        const inner = tokens.slice(i + 1, j - 1);
        if (inner.length === 0) fail('missing value for parenthesized pipeline');
        commands(inner, defined, fail);
        i = j - 1;
        // A field of the result, as in `(index $labels "x").y`.
        while (tokens[i + 1]?.kind === 'field' && !tokens[i + 1].spaced) i++;
        continue;
      }
      case 'variable': {
        const name = t.text.split('.')[0];
        if (!defined(name)) fail(`undefined variable "${name}"`);
        continue;
      }
      case 'identifier':
        if (['true', 'false', 'nil'].includes(t.text)) {
          if (tokens[i + 1]?.kind === 'field' && !tokens[i + 1].spaced) fail(`unexpected . after term "${t.text}"`);
          continue;
        }
        if (['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue'].includes(t.text)) {
          fail(`unexpected <${t.text}> in command`);
        }
        if (!FUNCTIONS.has(t.text)) fail(`function "${t.text}" not defined`);
        while (tokens[i + 1]?.kind === 'field' && !tokens[i + 1].spaced) i++;
        continue;
      case 'string':
      case 'number':
      case 'char':
      case 'field':
      case 'dot':
        // A field right after a constant or "." (`"a".b`, `..b`) has nothing to select from.
        if (t.kind !== 'field' && tokens[i + 1]?.kind === 'field' && !tokens[i + 1].spaced) fail(`unexpected . after term "${t.text}"`);
        continue;
      default:
        fail(`unexpected ${describe(t)} in operand`);
    }
  }
}

/** Go's lexer: the token list of every action, with the line it starts on; comments are dropped. */
function actions(text: string): Array<{ tokens: Token[]; line: number }> {
  const out: Array<{ tokens: Token[]; line: number }> = [];
  let pos = 0;
  const lineAt = (p: number) => text.slice(0, p).split('\n').length;
  for (;;) {
    const start = text.indexOf('{{', pos);
    if (start < 0) return out;
    const line = lineAt(start);
    const fail = (message: string): never => {
      throw new TemplateSyntaxError(`line ${line}: ${message}`);
    };
    pos = start + 2;
    // A trim marker is "-" followed by a space; "{{-3}}" is the number -3.
    if (text[pos] === '-' && isSpace(text[pos + 1] ?? '')) pos += 2;
    if (text.startsWith('/*', pos)) {
      const close = text.indexOf('*/', pos + 2);
      if (close < 0) fail('unclosed comment');
      pos = close + 2;
      if (text.startsWith(' -}}', pos)) pos += 4;
      else if (text.startsWith('}}', pos)) pos += 2;
      else fail('comment ends before closing delimiter');
      continue;
    }
    const tokens: Token[] = [];
    let depth = 0;
    for (;;) {
      if (pos >= text.length) fail('unclosed action');
      if (text.startsWith('}}', pos) || (text.startsWith('-}}', pos) && isSpace(text[pos - 1] ?? ''))) {
        if (depth > 0) fail('unclosed left paren');
        pos += text[pos] === '-' ? 3 : 2;
        break;
      }
      const c = text[pos];
      if (isSpace(c)) {
        pos++;
        continue;
      }
      const begin = pos;
      const spaced = begin === 0 || isSpace(text[begin - 1]) || tokens.length === 0;
      const token = (kind: TokenKind) => tokens.push({ kind, text: text.slice(begin, pos), spaced });
      // Go ends a name, variable or field only at a space, ".", ",", "|", ":", a parenthesis or the closing "}}".
      const terminated = () => {
        const next = text[pos] ?? '';
        if (!(next === '' || isSpace(next) || '.,|:()'.includes(next) || text.startsWith('}}', pos))) fail(`bad character "${next}"`);
      };
      // A quoted string or character constant: backslash escapes, and no line break before the closing quote.
      const quoted = (quote: string, unterminated: string) => {
        pos++;
        while (text[pos] !== quote) {
          if (text[pos] === '\\') pos++;
          if (pos >= text.length || text[pos] === '\n') fail(unterminated);
          pos++;
        }
        pos++;
      };
      if (c === '"') {
        quoted('"', 'unterminated quoted string');
        token('string');
        const problem = escapeProblem(text.slice(begin + 1, pos - 1));
        if (problem) fail(problem);
      } else if (c === '`') {
        const close = text.indexOf('`', pos + 1);
        if (close < 0) fail('unterminated raw quoted string');
        pos = close + 1;
        token('string');
      } else if (c === "'") {
        quoted("'", 'unterminated character constant');
        token('char');
      } else if (c === ':') {
        if (text[pos + 1] !== '=') fail('expected :=');
        pos += 2;
        token('declare');
      } else if (c === '=' || c === '|' || c === ',') {
        pos++;
        token(c === '=' ? 'assign' : c === '|' ? 'pipe' : 'comma');
      } else if (c === '(') {
        pos++;
        depth++;
        token('leftParen');
      } else if (c === ')') {
        pos++;
        if (--depth < 0) fail(`unexpected right paren`);
        token('rightParen');
      } else if (c === '$') {
        pos++;
        while (pos < text.length && isAlphaNumeric(text[pos])) pos++;
        pos = fieldChain(text, pos);
        terminated();
        token('variable');
      } else if (c === '.' && !/[0-9]/.test(text[pos + 1] ?? '')) {
        pos++;
        if (!isAlphaNumeric(text[pos] ?? '')) {
          token('dot');
          continue;
        }
        pos = fieldChain(text, begin);
        terminated();
        token('field');
      } else if (/[-+.0-9]/.test(c)) {
        const match = /^[-+]?(0[xX][0-9a-fA-F_]+(\.[0-9a-fA-F_]*)?([pP][-+]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]+)?)i?/.exec(text.slice(pos));
        const length = match?.[0].length ?? 0;
        const after = text[pos + length] ?? '';
        if (length === 0 || !/[0-9]/.test(match![0]) || isAlphaNumeric(after) || after === '.') fail(`bad number syntax: "${text.slice(pos, pos + Math.max(length, 1))}"`);
        pos += length;
        token('number');
      } else if (isAlphaNumeric(c)) {
        while (pos < text.length && isAlphaNumeric(text[pos])) pos++;
        terminated();
        token('identifier');
      } else if (c.charCodeAt(0) < 0x80 && c >= ' ') {
        pos++;
        token('other');
      } else {
        fail(`unrecognized character in action: "${c}"`);
      }
    }
    out.push({ tokens, line });
  }
}

/** Why Go's strconv.Unquote refuses the body of a double-quoted string, if it does. */
function escapeProblem(body: string): string | undefined {
  const escapes = /\\(?:[abfnrtv\\"]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3})|\\(.?)/g;
  for (const m of body.matchAll(escapes)) {
    if (m[1] !== undefined) return `invalid syntax: "\\${m[1]}" is not an escape in a quoted string`;
  }
  return undefined;
}

/** Past `.a.b.c` starting at `pos` (which may already be inside a name). */
function fieldChain(text: string, pos: number): number {
  while (text[pos] === '.' && isAlphaNumeric(text[pos + 1] ?? '')) {
    pos++;
    while (pos < text.length && isAlphaNumeric(text[pos])) pos++;
  }
  return pos;
}
