import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAlias, isMap, isScalar, isSeq, Node, parse, parseAllDocuments } from 'yaml';
import { toYaml } from '../src/lib/yaml';
import { synthesize } from '../src/synth';
import { listFiles, REPO_ROOT } from './support/synth-fixture';

/**
 * The Go programs reading the rendered configs parse YAML 1.1, where plain
 * `2006-01-02` is a timestamp, `on` a boolean and `0755` an octal number; the
 * `yaml` package writes 1.2. Every config document is read both ways and must
 * mean the same.
 */

/** What a scalar reads as, for comparing and for the message. */
function describeScalar(value: unknown): { type: string; shown: string } {
  if (value === null) return { type: 'null', shown: 'null' };
  if (value instanceof Date) return { type: 'timestamp', shown: value.toISOString() };
  if (typeof value === 'symbol') return { type: 'merge key', shown: '<<' };
  if (typeof value === 'string') return { type: 'string', shown: JSON.stringify(value) };
  return { type: typeof value, shown: String(value) };
}

/** Every place where reading `text` as YAML 1.1 gives another type or value than reading it as 1.2. */
function yaml11Differences(text: string): string[] {
  const as12 = parseAllDocuments(text);
  const as11 = parseAllDocuments(text, { version: '1.1' });
  const problems = [...as12, ...as11].flatMap((d) => d.errors.map((e) => `parse error: ${e.message}`));
  if (problems.length > 0) return problems;
  const compare = (a: unknown, b: unknown, at: string): void => {
    if (isAlias(a) || isAlias(b)) {
      problems.push(`${at}: an alias; rendered configs have none`);
    } else if (isMap(a) && isMap(b)) {
      a.items.forEach((pair, i) => {
        const key = isScalar(pair.key) ? String(pair.key.value) : `{key ${i}}`;
        const where = at ? `${at}.${key}` : key;
        compare(pair.key, b.items[i].key, `${where} (the key)`);
        compare(pair.value, b.items[i].value, where);
      });
    } else if (isSeq(a) && isSeq(b)) {
      a.items.forEach((item, i) => compare(item, b.items[i], `${at}[${i}]`));
    } else if (isScalar(a) && isScalar(b)) {
      const [x, y] = [describeScalar(a.value), describeScalar(b.value)];
      if (x.type !== y.type || x.shown !== y.shown) {
        problems.push(`${at || '(document)'}: YAML 1.2 reads ${x.shown} (${x.type}), YAML 1.1 reads ${y.shown} (${y.type})`);
      }
    } else if (!(a == null && b == null)) {
      problems.push(`${at || '(document)'}: the node is ${(a as Node)?.constructor?.name} in YAML 1.2, ${(b as Node)?.constructor?.name} in 1.1`);
    }
  };
  as12.forEach((doc, i) => compare(doc.contents, as11[i].contents, ''));
  return problems;
}

/**
 * The config documents of a synthesized tree: every plain YAML file, every
 * YAML value in a ConfigMap's data, and the manifests themselves (kubectl is
 * a Go program too). Dashboards are JSON and read by JSON parsers.
 */
function configDocuments(root: string): Array<[string, string]> {
  const docs: Array<[string, string]> = [];
  for (const file of listFiles(root).filter((f) => /\.ya?ml$/.test(f))) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    docs.push([file, text]);
    if (!file.endsWith('.k8s.yaml')) continue;
    for (const object of parseAllDocuments(text).map((d) => d.toJS())) {
      if (object?.kind !== 'ConfigMap') continue;
      for (const [key, value] of Object.entries<string>(object.data ?? {})) {
        if (/\.ya?ml$/.test(key)) docs.push([`${file} ConfigMap/${object.metadata.name} data["${key}"]`, value]);
      }
    }
  }
  return docs;
}

describe('toYaml quotes every string a YAML 1.1 reader would take for another type', () => {
  const ambiguous = ['2006-01-02', '2024-04-01T00:00:00Z', 'on', 'Off', 'no', 'YES', 'y', 'n', '0755', '010', '0x1F', '0b101', '0o17', '1:20', '190:20:30.15', '1_000', '1_0.5', '.inf', '-.Inf', '.NaN', '1e3', '~', 'null', 'true', '<<'];

  test.each(ambiguous)('%s is written quoted and read back as that string by YAML 1.2 and 1.1', (s) => {
    const text = toYaml({ value: s });
    expect(text).toBe(`value: "${s}"\n`);
    expect(parse(text)).toEqual({ value: s });
    expect(parse(text, { version: '1.1' })).toEqual({ value: s });
  });

  test('ambiguous keys are quoted too, and a key "<<" is not taken for a merge', () => {
    const text = toYaml({ on: 1, y: 2, '<<': { a: 1 } });
    expect(text).toBe('"on": 1\n"y": 2\n"<<":\n  a: 1\n');
    expect(yaml11Differences(text)).toEqual([]);
  });

  test('numbers, booleans and null stay typed, and strings both versions read as strings stay plain', () => {
    const value = { mode: 493, ratio: 0.5, big: 1000000, enabled: true, disabled: false, none: null, strings: ['30s', 'info', 'http://loki:3100', 'a:b', '2006-01', 'v1.2.3', 'onward', 'nothing'] };
    const text = toYaml(value);
    expect(text).toBe(
      'mode: 493\nratio: 0.5\nbig: 1000000\nenabled: true\ndisabled: false\nnone: null\nstrings:\n  - 30s\n  - info\n  - http://loki:3100\n  - a:b\n  - 2006-01\n  - v1.2.3\n  - onward\n  - nothing\n',
    );
    expect(parse(text, { version: '1.1' })).toEqual(value);
    expect(yaml11Differences(text)).toEqual([]);
  });

  test('the check names the key path and both readings of an unquoted value', () => {
    const text = 'indices:\n  spans:\n    date_layout: 2006-01-02\nflags: [on, "off", 0755]\n<<: {a: 1}\n';
    expect(yaml11Differences(text)).toEqual([
      'indices.spans.date_layout: YAML 1.2 reads "2006-01-02" (string), YAML 1.1 reads 2006-01-02T00:00:00.000Z (timestamp)',
      'flags[0]: YAML 1.2 reads "on" (string), YAML 1.1 reads true (boolean)',
      'flags[2]: YAML 1.2 reads 755 (number), YAML 1.1 reads 493 (number)',
      '<< (the key): YAML 1.2 reads "<<" (string), YAML 1.1 reads << (merge key)',
    ]);
  });
});

describe('every config document in dist/ reads the same under YAML 1.1 and 1.2', () => {
  const docs = configDocuments(path.join(REPO_ROOT, 'dist'));

  test('the documents are found: plain files, ConfigMap values and manifests', () => {
    const names = docs.map(([name]) => name);
    expect(names).toContain('prod/alertmanager/alertmanager.yml');
    expect(names).toContain('prod/loki.k8s.yaml ConfigMap/loki-config data["loki.yaml"]');
    expect(names).toContain('qa/jaeger.k8s.yaml');
  });

  test.each(docs)('%s', (_name, text) => {
    expect(yaml11Differences(text)).toEqual([]);
  });
});

describe('every config document of the synthesized examples reads the same under YAML 1.1 and 1.2', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'yaml-types-'));
  for (const file of ['ha.yaml', 'agent.yaml']) synthesize({ config: path.join(REPO_ROOT, 'examples', file), out });
  const docs = configDocuments(out);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test("Jaeger's OpenSearch config of examples/ha.yaml is among them", () => {
    expect(docs.map(([name]) => name)).toContain('central/jaeger.k8s.yaml ConfigMap/jaeger-config data["config.yaml"]');
  });

  test.each(docs)('%s', (_name, text) => {
    expect(yaml11Differences(text)).toEqual([]);
  });
});
