/**
 * A generated SLO's 5-minute rates are recorded for many services in one rule per SLO, one `or` branch
 * per shape (vocabulary, latency target, route), each selecting its services by namespace and app
 * (src/alerting/slo-rules.ts). These find the branch that records one service.
 */
type Rule = { readonly record?: string; readonly expr?: string; readonly labels?: Record<string, string> };

/** The `or` branches of a shared SLO rule: the selections inside its label_replace. */
function branches(expr: string): string[] {
  return expr.split(/\n\s*or\n\s*/);
}

/** Whether `alternatives` (a `a|b|c` regex of literal names) holds `value`. */
const holds = (alternatives: string, value: string) => alternatives.split('|').includes(value);

/** The branches of the rule recording `record` for `slo` that select the service's series. */
export function sharedSloBranches(rules: readonly Rule[], record: string, svc: { name: string; namespace: string }, slo: string): string[] {
  return rules
    .filter((r) => r.record === record && r.labels?.slo === slo && r.labels?.service === undefined)
    .flatMap((r) => branches(r.expr ?? ''))
    .filter((b) => {
      const m = /namespace=~"([^"]+)", app=~"([^"]+)"/.exec(b);
      return m !== null && holds(m[1], svc.namespace) && holds(m[2], svc.name);
    });
}
