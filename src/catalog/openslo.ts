import { LineCounter, Node, parseAllDocuments } from 'yaml';
import { describeValue, formatPath } from '../config/errors';
import { seriesSelectorProblem } from '../config/promql';
import { SLO_PERIOD } from './slo';

/**
 * OpenSLO v1 documents (https://github.com/OpenSLO/OpenSLO, `apiVersion: openslo/v1`) as
 * `services[].slo.objectives`. The stack turns every SLO into the same error-budget recordings and
 * multi-window burn-rate alerts as its generated ones, so it accepts what maps onto that model
 * exactly and refuses the rest with the document, the field and the line:
 *
 * - `budgetingMethod: Occurrences` (Timeslices and RatioTimeslices count good minutes, not events);
 * - a rolling 30-day `timeWindow`, or none (the burn-rate factors assume that period);
 * - one objective with `target` or `targetPercent`;
 * - a `ratioMetric` SLI of Prometheus counters (`counter: true`, `good` or `bad`, and `total`),
 *   inline or by `indicatorRef`, each query a series selector the rules take rates of.
 *
 * `Service` and `DataSource` documents may sit beside them (a DataSource must be of type Prometheus
 * when an SLI refers to it); alert policies are refused, as the stack writes and routes the alerts.
 */

export interface OpenSloObjective {
  /** `spec.service`: a catalogue service's name. */
  readonly service: string;
  readonly objective: {
    readonly name: string;
    readonly objective: number;
    readonly total: string;
    readonly bad?: string;
    readonly good?: string;
    readonly description?: string;
  };
  /** Where the SLO document is, for problems found later: `file, line N`. */
  readonly where: string;
}

const ALERT_KINDS = ['AlertPolicy', 'AlertCondition', 'AlertNotificationTarget'];
const KINDS = ['SLO', 'SLI', 'Service', 'DataSource', ...ALERT_KINDS];
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one file of OpenSLO documents. Every problem names the file, the document, the field and its line. */
export function readOpenSlo(text: string, file: string): { objectives: OpenSloObjective[]; problems: string[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  if (!Array.isArray(docs)) return { objectives: [], problems: [`${file}: expected YAML documents, got an empty file`] };

  interface Parsed {
    readonly index: number;
    readonly data: Json;
    readonly lineOf: (path: readonly (string | number)[]) => string;
  }
  const parsed: Parsed[] = [];
  docs.forEach((doc, index) => {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      problems.push(`${file}: line ${pos.line}, column ${pos.col}: YAML syntax error: ${e.message.split('\n')[0]}`);
    }
    if (doc.errors.length > 0) return;
    const data: unknown = doc.toJS();
    if (data === null || data === undefined) return; // an empty document between two `---`
    const lineOf = (path: readonly (string | number)[]) => {
      // The deepest node present on the path: a missing field points at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
        if (node?.range) return ` (line ${lineCounter.linePos(node.range[0]).line})`;
      }
      return '';
    };
    if (!isObject(data)) {
      problems.push(`${file}: document ${index + 1}: expected an OpenSLO object (apiVersion, kind, metadata, spec), got ${describeValue(data)}${lineOf([])}`);
      return;
    }
    parsed.push({ index, data, lineOf });
  });

  /** One problem; `got` is the value found, when there is one worth showing. */
  const at = (d: Parsed, path: readonly (string | number)[], message: string, ...got: unknown[]) => {
    const name = isObject(d.data.metadata) && typeof d.data.metadata.name === 'string' ? ` (${String(d.data.kind)} "${d.data.metadata.name}")` : '';
    const shown = got.length > 0 ? `, got ${describeValue(got[0])}` : '';
    problems.push(`${file}: document ${d.index + 1}${name}: ${formatPath(path)}: ${message}${shown}${d.lineOf(path)}`);
  };
  const get = (obj: unknown, path: readonly (string | number)[]): unknown =>
    path.reduce<unknown>((o, k) => (isObject(o) ? o[k as string] : Array.isArray(o) ? o[k as number] : undefined), obj);

  // Shape every document shares; SLIs and data sources by name, for references.
  const slis = new Map<string, Parsed>();
  const sources = new Map<string, Parsed>();
  const slos: Parsed[] = [];
  for (const d of parsed) {
    if (d.data.apiVersion !== 'openslo/v1') {
      at(d, ['apiVersion'], 'expected "openslo/v1" (the OpenSLO version this stack reads)', d.data.apiVersion);
      continue;
    }
    const kind = d.data.kind;
    if (typeof kind !== 'string' || !KINDS.includes(kind)) {
      at(d, ['kind'], `expected one of ${KINDS.join(', ')}`, kind);
      continue;
    }
    if (ALERT_KINDS.includes(kind)) {
      at(d, ['kind'], 'alert policies are not read: the stack writes the multi-window burn-rate alerts of every SLO and routes them with `alerting:`; remove the document', kind);
      continue;
    }
    const name = get(d.data, ['metadata', 'name']);
    if (typeof name !== 'string' || !NAME.test(name)) {
      at(d, ['metadata', 'name'], 'expected a name of lower-case letters, digits and "-" (RFC 1123, at most 63)', name);
      continue;
    }
    if (!isObject(d.data.spec)) {
      at(d, ['spec'], 'expected a mapping', d.data.spec);
      continue;
    }
    if (kind === 'SLI') slis.set(name, d);
    if (kind === 'DataSource') sources.set(name, d);
    if (kind === 'SLO') slos.push(d);
  }

  /** The PromQL of one side of a ratio (`good`, `bad`, `total`), or undefined after reporting why not. */
  const query = (d: Parsed, path: readonly (string | number)[]): string | undefined => {
    const source = get(d.data, [...path, 'metricSource']);
    if (!isObject(source)) {
      at(d, [...path, 'metricSource'], 'expected a mapping with type: Prometheus and spec.query', source);
      return undefined;
    }
    let type = source.type;
    if (type === undefined && typeof source.metricSourceRef === 'string') {
      const ref = sources.get(source.metricSourceRef);
      if (!ref) {
        at(d, [...path, 'metricSource', 'metricSourceRef'], `no DataSource of that name in this file (DataSources here: ${[...sources.keys()].join(', ') || 'none'})`, source.metricSourceRef);
        return undefined;
      }
      type = get(ref.data, ['spec', 'type']);
    }
    if (type !== 'Prometheus') {
      at(d, [...path, 'metricSource', 'type'], 'expected Prometheus (the SLO is evaluated by the platform\'s metrics backend)', type);
      return undefined;
    }
    const q = get(source, ['spec', 'query']);
    if (typeof q !== 'string') {
      at(d, [...path, 'metricSource', 'spec', 'query'], 'expected a PromQL series selector', q);
      return undefined;
    }
    const problem = seriesSelectorProblem(q);
    if (problem) {
      at(d, [...path, 'metricSource', 'spec', 'query'], problem, q);
      return undefined;
    }
    return q.trim();
  };

  const objectives: OpenSloObjective[] = [];
  for (const d of slos) {
    const spec = d.data.spec as Json;
    const name = get(d.data, ['metadata', 'name']) as string;
    const before = problems.length;
    if (typeof spec.service !== 'string' || spec.service === '') at(d, ['spec', 'service'], 'expected the name of a catalogue service', spec.service);
    if (spec.budgetingMethod !== 'Occurrences') {
      at(d, ['spec', 'budgetingMethod'], 'expected Occurrences: the error budget counts bad events of all events (time slices are not read)', spec.budgetingMethod);
    }
    if (spec.timeWindow !== undefined) {
      const w = spec.timeWindow;
      if (!Array.isArray(w) || w.length !== 1 || !isObject(w[0]) || w[0].duration !== SLO_PERIOD || w[0].isRolling !== true) {
        at(d, ['spec', 'timeWindow'], `expected one rolling window of ${SLO_PERIOD} ([{duration: ${SLO_PERIOD}, isRolling: true}]) or none: the burn-rate alerts assume that period`, w);
      }
    }
    if (spec.alertPolicies !== undefined) {
      at(d, ['spec', 'alertPolicies'], 'not read: the stack writes the multi-window burn-rate alerts of every SLO and routes them with `alerting:`; remove it', spec.alertPolicies);
    }
    const objs = spec.objectives;
    let objective: number | undefined;
    if (!Array.isArray(objs) || objs.length !== 1 || !isObject(objs[0])) {
      at(d, ['spec', 'objectives'], 'expected exactly one objective (declare one SLO document per objective)', objs);
    } else {
      const o = objs[0];
      for (const field of ['op', 'value', 'timeSliceTarget', 'timeSliceWindow', 'indicator', 'indicatorRef', 'compositeWeight']) {
        if (o[field] !== undefined) at(d, ['spec', 'objectives', 0, field], 'not read here: only a target on the SLO\'s ratio indicator is (no thresholds, time slices or composites)', o[field]);
      }
      if ((o.target === undefined) === (o.targetPercent === undefined)) {
        at(d, ['spec', 'objectives', 0], 'give exactly one of target (like 0.999) and targetPercent (like 99.9)', o);
      } else if (o.target !== undefined) {
        if (typeof o.target !== 'number' || !(o.target > 0 && o.target < 1)) at(d, ['spec', 'objectives', 0, 'target'], 'expected a number between 0 and 1, like 0.999', o.target);
        else objective = o.target;
      } else if (typeof o.targetPercent !== 'number' || !(o.targetPercent > 0 && o.targetPercent < 100)) {
        at(d, ['spec', 'objectives', 0, 'targetPercent'], 'expected a number between 0 and 100, like 99.9', o.targetPercent);
      } else objective = Number((o.targetPercent / 100).toFixed(10));
    }

    // The indicator: inline, or an SLI document of this file.
    let sli: { doc: Parsed; path: (string | number)[] } | undefined;
    if ((spec.indicator === undefined) === (spec.indicatorRef === undefined)) {
      at(d, ['spec'], 'give exactly one of indicator and indicatorRef');
    } else if (spec.indicator !== undefined) {
      sli = { doc: d, path: ['spec', 'indicator', 'spec'] };
    } else {
      const ref = slis.get(String(spec.indicatorRef));
      if (!ref) at(d, ['spec', 'indicatorRef'], `no SLI of that name in this file (SLIs here: ${[...slis.keys()].join(', ') || 'none'})`, spec.indicatorRef);
      else sli = { doc: ref, path: ['spec'] };
    }
    let total: string | undefined;
    let bad: string | undefined;
    let good: string | undefined;
    if (sli) {
      const { doc, path } = sli;
      const ratio = get(doc.data, [...path, 'ratioMetric']);
      if (get(doc.data, [...path, 'thresholdMetric']) !== undefined) {
        at(doc, [...path, 'thresholdMetric'], 'not read: a threshold indicator needs time slices; express it as a ratio of counters (good or bad, and total)');
      } else if (!isObject(ratio)) {
        at(doc, [...path, 'ratioMetric'], 'expected a ratioMetric with counter: true, good or bad, and total', ratio);
      } else {
        const r = [...path, 'ratioMetric'];
        if (ratio.raw !== undefined || ratio.rawType !== undefined) at(doc, [...r, 'raw'], 'not read: a precomputed ratio cannot be summed over the windows; give the counters (good or bad, and total)');
        if (ratio.counter !== true) at(doc, [...r, 'counter'], 'expected true: the queries must be counters, whose rates the windows sum', ratio.counter);
        if ((ratio.good === undefined) === (ratio.bad === undefined)) at(doc, r, 'give exactly one of good and bad beside total');
        if (ratio.total === undefined) at(doc, [...r, 'total'], 'required: the counter of all events');
        else total = query(doc, [...r, 'total']);
        if (ratio.bad !== undefined) bad = query(doc, [...r, 'bad']);
        if (ratio.good !== undefined) good = query(doc, [...r, 'good']);
      }
    }
    if (problems.length > before || objective === undefined || total === undefined || (bad ?? good) === undefined) continue;
    const description = [spec.description, get(d.data, ['metadata', 'displayName'])].find((v): v is string => typeof v === 'string');
    objectives.push({
      service: spec.service as string,
      objective: { name, objective, total, ...(bad !== undefined ? { bad } : { good }), ...(description ? { description } : {}) },
      where: `${file}, document ${d.index + 1}${d.lineOf(['spec', 'service']).replace(' (', ', ').replace(')', '')}`,
    });
  }
  return { objectives, problems };
}
