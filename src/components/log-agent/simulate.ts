import { relabel } from '../../lib/relabel';
import { Stage } from './pipeline';

/**
 * A TypeScript model of what the agents do with the pipeline in pipeline.ts,
 * so tests can feed it sample lines where no agent binary is available. It
 * follows the documented semantics of Promtail's stages (the same as Alloy's
 * loki.process): stages run in order on each entry; regex/json only add to the
 * extracted map; labels and structured_metadata copy from it; match runs its
 * stages only on entries its selector accepts; multiline joins lines with "\n".
 * Template stages run their TypeScript twin (see Stage.simulate).
 */

export interface Entry {
  line: string;
  labels: Record<string, string>;
  extracted: Record<string, string>;
  structuredMetadata: Record<string, string>;
}

/** Go RE2 -> JavaScript: named groups are spelled (?<n>) and a leading (?s) becomes the `s` flag. */
export function goRegex(expression: string): RegExp {
  let flags = 'u';
  let source = expression;
  const inline = /^\(\?([a-z]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1].includes('s')) flags += 's';
    if (inline[1].includes('i')) flags += 'i';
    if (inline[1].includes('m')) flags += 'm';
  }
  return new RegExp(source.replace(/\(\?P</g, '(?<'), flags);
}

interface Selector {
  matchers: Array<{ name: string; op: '=' | '!=' | '=~' | '!~'; value: string }>;
  filters: Array<{ op: '|=' | '!=' | '|~' | '!~'; value: string }>;
}

/** The subset of LogQL the match stages use: one stream selector and line filters. */
export function parseSelector(selector: string): Selector {
  const m = /^\{(.*?)\}(.*)$/s.exec(selector.trim());
  if (!m) throw new Error(`not a stream selector: ${selector}`);
  const matchers = [...m[1].matchAll(/\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/g)].map((x) => ({
    name: x[1],
    op: x[2] as Selector['matchers'][number]['op'],
    value: JSON.parse(`"${x[3]}"`) as string,
  }));
  const filters = [...m[2].matchAll(/\s*(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({
    op: x[1] as Selector['filters'][number]['op'],
    value: JSON.parse(`"${x[2]}"`) as string,
  }));
  return { matchers, filters };
}

function selects(selector: Selector, e: Entry): boolean {
  const okLabels = selector.matchers.every(({ name, op, value }) => {
    const v = e.labels[name] ?? '';
    if (op === '=') return v === value;
    if (op === '!=') return v !== value;
    const re = new RegExp(`^(?:${value})$`);
    return op === '=~' ? re.test(v) : !re.test(v);
  });
  const okLine = selector.filters.every(({ op, value }) => {
    if (op === '|=') return e.line.includes(value);
    if (op === '!=') return !e.line.includes(value);
    const re = goRegex(value);
    return op === '|~' ? re.test(e.line) : !re.test(e.line);
  });
  return okLabels && okLine;
}

/** JMESPath, the part the pipeline uses: identifiers, "quoted identifiers" and `a || b`. */
function jmespath(doc: unknown, expression: string): unknown {
  for (const alternative of expression.split('||').map((s) => s.trim())) {
    const key = alternative.startsWith('"') ? (JSON.parse(alternative) as string) : alternative;
    if (!/^[^.[\]]+$/.test(key)) throw new Error(`JMESPath beyond the simulated subset: ${expression}`);
    const value = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined;
    if (value !== undefined && value !== null && value !== false && value !== '') return value;
  }
  return undefined;
}

const CRI_LINE = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s;

function streamKey(e: Entry): string {
  return JSON.stringify(Object.entries(e.labels).sort());
}

function runStage(stage: Stage, entries: Entry[]): Entry[] {
  switch (stage.kind) {
    case 'cri': {
      // Partial (P) lines are joined with the following ones until a full (F) line, as the cri stage does.
      const out: Entry[] = [];
      const partial = new Map<string, string>();
      for (const e of entries) {
        const m = CRI_LINE.exec(e.line);
        if (!m) {
          out.push(e);
          continue;
        }
        const key = streamKey(e) + m[2];
        const content = (partial.get(key) ?? '') + m[4];
        if (m[3] === 'P') {
          partial.set(key, content);
          continue;
        }
        partial.delete(key);
        out.push({ ...e, line: content, labels: { ...e.labels, stream: m[2] }, extracted: { ...e.extracted, time: m[1], stream: m[2], flags: m[3] } });
      }
      return out;
    }
    case 'multiline': {
      const first = goRegex(stage.firstline);
      const out: Entry[] = [];
      const open = new Map<string, { entry: Entry; lines: number }>();
      for (const e of entries) {
        const key = streamKey(e);
        const block = open.get(key);
        if (block && !first.test(e.line) && block.lines < stage.maxLines) {
          block.entry.line += `\n${e.line}`;
          block.lines++;
          continue;
        }
        const entry = { ...e };
        open.set(key, { entry, lines: 1 });
        out.push(entry);
      }
      return out;
    }
    case 'match': {
      const selector = parseSelector(stage.selector);
      // Entries keep their order; the matched ones go through the nested stages as one batch.
      const slots: Array<Entry | null> = entries.map((e) => (selects(selector, e) ? null : e));
      const processed = runStages(stage.stages, entries.filter((e) => selects(selector, e)));
      const out: Entry[] = [];
      let inserted = false;
      slots.forEach((slot) => {
        if (slot) out.push(slot);
        else if (!inserted) {
          out.push(...processed);
          inserted = true;
        }
      });
      return out;
    }
    case 'regex': {
      const re = goRegex(stage.expression);
      return entries.map((e) => {
        const input = stage.source ? e.extracted[stage.source] : e.line;
        const m = input === undefined ? null : re.exec(input);
        if (!m?.groups) return e;
        const found = Object.fromEntries(Object.entries(m.groups).filter(([, v]) => v !== undefined)) as Record<string, string>;
        return { ...e, extracted: { ...e.extracted, ...found } };
      });
    }
    case 'json':
      return entries.map((e) => {
        const input = stage.source ? e.extracted[stage.source] : e.line;
        let doc: unknown;
        try {
          doc = JSON.parse(input ?? '');
        } catch {
          return e; // Not JSON: the stage leaves the entry as it is (drop_malformed is off).
        }
        const found: Record<string, string> = {};
        for (const [name, expr] of Object.entries(stage.expressions)) {
          const v = jmespath(doc, expr);
          if (v !== undefined) found[name] = typeof v === 'string' ? v : JSON.stringify(v);
        }
        return { ...e, extracted: { ...e.extracted, ...found } };
      });
    case 'template':
      return entries.map((e) => {
        const value = stage.simulate(e.extracted);
        const extracted = { ...e.extracted };
        // An empty result removes the key, as the agents' template stage does.
        if (value === '') delete extracted[stage.source];
        else extracted[stage.source] = value;
        return { ...e, extracted };
      });
    case 'output':
      return entries.map((e) => (e.extracted[stage.source] !== undefined ? { ...e, line: e.extracted[stage.source] } : e));
    case 'labels':
      return entries.map((e) => {
        const labels = { ...e.labels };
        for (const [label, from] of Object.entries(stage.values)) if (e.extracted[from] !== undefined) labels[label] = e.extracted[from];
        return { ...e, labels };
      });
    case 'structuredMetadata':
      return entries.map((e) => {
        const md = { ...e.structuredMetadata };
        for (const [name, from] of Object.entries(stage.values)) if (e.extracted[from] !== undefined) md[name] = e.extracted[from];
        return { ...e, structuredMetadata: md };
      });
    case 'labelKeep':
      return entries.map((e) => ({ ...e, labels: Object.fromEntries(Object.entries(e.labels).filter(([k]) => stage.values.includes(k))) }));
  }
}

export function runStages(stages: readonly Stage[], entries: Entry[]): Entry[] {
  return stages.reduce((acc, stage) => runStage(stage, acc), entries);
}

/** Lines of one log file, with the target labels the agent attaches (including its own `filename`). */
export function simulatePipeline(stages: readonly Stage[], targetLabels: Record<string, string>, lines: readonly string[], filename: string): Entry[] {
  const labels = { ...targetLabels, filename };
  return runStages(
    stages,
    lines.map((line) => ({ line, labels: { ...labels }, extracted: {}, structuredMetadata: {} })),
  );
}

/** A glob like Promtail's __path__ (only `*`, which never crosses `/`). */
export function globMatches(glob: string, path: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return re.test(path);
}

export { relabel };
