/**
 * PromQL syntax check at synth time, with the lezer grammar Prometheus' own UI
 * and Grafana's editor use, so a query the user writes in the config fails at
 * synth (naming the field) instead of in Prometheus' rule loader after deploy.
 */

// The package is ESM-first with a CommonJS build; under `moduleResolution: node16` TypeScript
// sees only its ESM typings from this CommonJS file, so the CommonJS build is loaded with require().
type PromqlModule = typeof import('@prometheus-io/lezer-promql', { with: { 'resolution-mode': 'import' } });
const { parser } = require('@prometheus-io/lezer-promql') as PromqlModule;

/** Why `expr` is not valid PromQL, or undefined when it parses. Lezer recovers from errors by inserting error nodes (⚠); the first one is reported. */
export function promqlSyntaxError(expr: string): string | undefined {
  if (expr.trim() === '') return 'the expression is empty';
  let at: number | undefined;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (at === undefined && node.type.isError) at = node.from;
      return at === undefined;
    },
  });
  if (at === undefined) return undefined;
  const near = expr.slice(Math.max(0, at - 10), at + 10).replace(/\s+/g, ' ');
  return `PromQL syntax error at character ${at + 1}, near "${near}"`;
}

/**
 * Why `expr` is not a plain series selector (`http_requests_total{code=~"5.."}`), or undefined when it is.
 * Counters given as selectors can be wrapped in `rate(…[window])` at any window; an aggregation, a
 * function or a range cannot.
 */
export function seriesSelectorProblem(expr: string): string | undefined {
  const syntax = promqlSyntaxError(expr);
  if (syntax) return syntax;
  const top = parser.parse(expr.trim()).topNode.firstChild;
  if (top?.name === 'VectorSelector') return undefined;
  return 'expected a series selector of a counter, like http_requests_total{service="checkout", code=~"5.."}: ' +
    'the SLO takes its rate over each window itself, so no rate(), sum() or [range]';
}
