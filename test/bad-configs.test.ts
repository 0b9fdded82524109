import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/main';
import { SynthError, synthesize } from '../src/synth';
import { copyConfig, listFiles, REPO_ROOT, SHIPPED_CONFIG_DIR, shippedConfigOf, shippedConfigs, shippedEnvironments } from './support/synth-fixture';
import { run } from './support/tools';
import { DEPRECATED_HTTP_VOCABULARIES } from '../src/catalog/config';

/**
 * Every file in test/fixtures/bad-configs/ is a malformed config whose first
 * line says `# expect: <text>`. Synthesizing it must fail with a message that
 * names the file and contains that text, and must leave the output directory
 * exactly as it was.
 */
const FIXTURES = path.join(__dirname, 'fixtures', 'bad-configs');
const fixtures = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const file = path.join(FIXTURES, f);
    const expected = /^# expect: (.+)$/m.exec(fs.readFileSync(file, 'utf8'))?.[1];
    if (!expected) throw new Error(`${f}: first line must be "# expect: <message text>"`);
    return { name: f, file, expected };
  });

/** An output directory holding an earlier synth, and a fingerprint of every byte in it. */
function previousOutput(): { dir: string; fingerprint: () => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-config-out-'));
  fs.mkdirSync(path.join(dir, 'prod', 'rules'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'prod', 'prometheus.k8s.yaml'), 'kind: ConfigMap\n');
  fs.writeFileSync(path.join(dir, 'prod', 'rules', 'a.yaml'), 'groups: []\n');
  fs.writeFileSync(path.join(dir, 'broken'), 'not a directory, must survive\n');
  const fingerprint = () =>
    listFiles(dir)
      .map((f) => `${f}:${crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')}`)
      .join('\n');
  return { dir, fingerprint };
}

test('there are at least thirty malformed configs', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(30);
});

describe.each(fixtures)('fails if the config is malformed: $name', ({ file, expected }) => {
  test('synth stops with a message naming the file and the field, and the output directory is unchanged', () => {
    const out = previousOutput();
    const before = out.fingerprint();
    let error: unknown;
    try {
      synthesize({ config: file, out: out.dir });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SynthError);
    const message = (error as SynthError).message;
    expect(message).toContain(path.relative(process.cwd(), file));
    expect(message).not.toContain('../');
    expect(message).toContain(expected);
    expect(out.fingerprint()).toBe(before);
    // No staging directory is left behind beside the output.
    expect(fs.readdirSync(path.dirname(out.dir)).filter((e) => e.startsWith(`.synth-tmp-${path.basename(out.dir)}`))).toEqual([]);
  });
});

/**
 * Every directory in test/fixtures/isolation/ holds a good config and a `staging.yaml` that collides with
 * it (first line `# expect: <text>`). Synthesizing staging.yaml alone must still check it against its
 * neighbour, fail naming both files, the value and the lines, and leave the output as it was.
 */
const ISOLATION = path.join(__dirname, 'fixtures', 'isolation');
const isolationCases = fs.readdirSync(ISOLATION).sort();

test('there are isolation fixtures for namespaces, the PostgreSQL namespace, host ports, backend URLs and environment names', () => {
  expect(isolationCases.length).toBeGreaterThanOrEqual(5);
});

describe.each(isolationCases)('fails if one config collides with another of its directory: %s', (name) => {
  test('synthesizing that one file stops with a message naming both files, and the output directory is unchanged', () => {
    const file = path.join(ISOLATION, name, 'staging.yaml');
    const expected = /^# expect: (.+)$/m.exec(fs.readFileSync(file, 'utf8'))![1];
    const out = previousOutput();
    const before = out.fingerprint();
    expect(() => synthesize({ config: file, out: out.dir })).toThrow(SynthError);
    try {
      synthesize({ config: file, out: out.dir });
    } catch (err) {
      expect((err as SynthError).message).toContain(`${path.relative(process.cwd(), path.dirname(file))}/${expected}`);
    }
    expect(out.fingerprint()).toBe(before);
  });
});

test('fails if one of several configs is broken: every problem is printed, nothing is written (through the real CLI)', () => {
  const configs = fs.mkdtempSync(path.join(os.tmpdir(), 'configs-'));
  copyConfig(shippedConfigs()[0].file, path.join(configs, 'good.yaml'));
  fs.copyFileSync(path.join(FIXTURES, 'retention-not-a-duration.yaml'), path.join(configs, 'broken-a.yaml'));
  fs.copyFileSync(path.join(FIXTURES, 'unknown-key-typo.yaml'), path.join(configs, 'broken-b.yaml'));
  const out = previousOutput();
  const before = out.fingerprint();
  const result = run('node', [path.join(REPO_ROOT, 'scripts', 'synth.mjs'), '--config', configs, '--out', out.dir], { cwd: REPO_ROOT });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('broken-a.yaml: prometheus.retention: expected a duration like "15d", got "forever" (line 10)');
  expect(result.stderr).toContain('broken-b.yaml: prometheus.retension: unknown key (did you mean "retention"?)');
  expect(result.stderr).toContain('the output directory was left as it was');
  expect(out.fingerprint()).toBe(before);
});

test('fails if two configs claim the same environment', () => {
  const configs = fs.mkdtempSync(path.join(os.tmpdir(), 'configs-'));
  const { file, config } = shippedConfigs()[0];
  copyConfig(file, path.join(configs, 'a.yaml'));
  copyConfig(file, path.join(configs, 'b.yaml'));
  const out = previousOutput();
  expect(() => synthesize({ config: configs, out: out.dir })).toThrow(`environment: "${config.environment}" is also the environment of`);
});

test('GIVEN a good config directory WHEN synthesized THEN stale environments are removed and the new ones swapped in', () => {
  const out = previousOutput();
  const summaries = synthesize({ config: SHIPPED_CONFIG_DIR, out: out.dir });
  expect(summaries.map((s) => s.environment).sort()).toEqual(shippedEnvironments());
  // "prod" of the earlier synth is either replaced by a fresh environment or removed with "broken".
  expect(fs.readdirSync(out.dir).sort()).toEqual(shippedEnvironments());
  expect(fs.existsSync(path.join(out.dir, 'prod', 'rules', 'a.yaml'))).toBe(false);
});

/**
 * Synthesizes a copy of a config twice from the command line, once with the deprecated form (`old`) and once
 * with its replacement (`new`), into <dir>/out-old and <dir>/out-new. Returns the warnings only one form got
 * (the config under test may carry warnings of its own: both forms get those), each form's directory written <dir>.
 */
function synthesizeBothForms(
  dir: string,
  file: string,
  settings: Record<'old' | 'new', Array<[Array<string | number>, unknown]>>,
): Record<'old' | 'new', string[]> {
  const errors: Record<'old' | 'new', string[]> = { old: [], new: [] };
  let run: 'old' | 'new' = 'old';
  const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void errors[run].push(line));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    for (const form of ['old', 'new'] as const) {
      run = form;
      fs.mkdirSync(path.join(dir, form));
      copyConfig(file, path.join(dir, form, path.basename(file)), settings[form]);
      expect(main(['--config', path.join(dir, form), '--out', path.join(dir, `out-${form}`)])).toBe(0);
    }
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
  const relative = (form: 'old' | 'new') => errors[form].map((e) => e.split(path.join(dir, form)).join('<dir>'));
  const [oldForm, newForm] = [relative('old'), relative('new')];
  return { old: oldForm.filter((e) => !newForm.includes(e)), new: newForm.filter((e) => !oldForm.includes(e)) };
}

test('GIVEN the deprecated slo.latencyP99Ms WHEN synthesized from the command line THEN it warns with file and line and renders the same p99 rules as latency', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deprecated-'));
  // The whole environment at p99 200 ms, once in each form (any per-service target stays as the config has it).
  const only = synthesizeBothForms(dir, shippedConfigOf('qa').file, {
    old: [[['slo', 'latencyP99Ms'], 200]],
    new: [[['slo', 'latency'], { quantile: 0.99, thresholdMs: 200 }]],
  });
  const line = fs.readFileSync(path.join(dir, 'old', 'qa.yaml'), 'utf8').split('\n').findIndex((l) => /^\s+latencyP99Ms: 200$/.test(l)) + 1;
  expect(line).toBeGreaterThan(0);
  // The old form gets exactly one warning more.
  expect(only.new).toEqual([]);
  expect(only.old).toEqual([expect.stringMatching(new RegExp(`^warning: .*qa\\.yaml: slo\\.latencyP99Ms: is deprecated; write latency: \\{quantile: 0\\.99, thresholdMs: 200\\} instead.*\\(line ${line}\\)$`))]);
  const slo = (out: string) => fs.readFileSync(path.join(dir, out, 'qa', 'rules', 'slo.yaml'), 'utf8');
  expect(slo('out-old')).toBe(slo('out-new'));
  expect(slo('out-old')).not.toContain('histogram_quantile(0.95');
});

test('GIVEN the deprecated prometheus.scrapeInterval and evaluationInterval WHEN synthesized THEN each warns with the metrics.* spelling and line, and the output is the same as with metrics.*', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deprecated-intervals-'));
  const only = synthesizeBothForms(dir, shippedConfigOf('qa').file, {
    old: [
      [['metrics', 'scrapeInterval'], undefined],
      [['metrics', 'evaluationInterval'], undefined],
      [['prometheus', 'scrapeInterval'], '20s'],
      [['prometheus', 'evaluationInterval'], '40s'],
    ],
    new: [
      [['prometheus', 'scrapeInterval'], undefined],
      [['prometheus', 'evaluationInterval'], undefined],
      [['metrics', 'scrapeInterval'], '20s'],
      [['metrics', 'evaluationInterval'], '40s'],
    ],
  });
  const lines = fs.readFileSync(path.join(dir, 'old', 'qa.yaml'), 'utf8').split('\n');
  const lineOf = (text: string) => lines.findIndex((l) => l.trim() === text) + 1;
  expect(only.new).toEqual([]);
  expect(only.old.sort()).toEqual(
    [
      `warning: <dir>/qa.yaml: prometheus.evaluationInterval: is deprecated; write metrics.evaluationInterval: 40s instead (every metrics backend shares it) (line ${lineOf('evaluationInterval: 40s')})`,
      `warning: <dir>/qa.yaml: prometheus.scrapeInterval: is deprecated; write metrics.scrapeInterval: 20s instead (every metrics backend shares it) (line ${lineOf('scrapeInterval: 20s')})`,
    ].sort(),
  );
  const files = (out: string) => listFiles(path.join(dir, out)).filter((f) => !f.endsWith('deploy-annotation.k8s.yaml'));
  expect(files('out-old')).toEqual(files('out-new'));
  for (const f of files('out-old')) {
    expect(`${f}\n${fs.readFileSync(path.join(dir, 'out-old', f), 'utf8')}`).toBe(`${f}\n${fs.readFileSync(path.join(dir, 'out-new', f), 'utf8')}`);
  }
  // The intervals are really read: the scraper's global interval and the Grafana datasource's time interval.
  const manifests = (out: string) => listFiles(path.join(dir, out, 'qa')).map((f) => fs.readFileSync(path.join(dir, out, 'qa', f), 'utf8')).join('\n');
  expect(manifests('out-new')).toMatch(/scrape_interval: 20s|scrapeInterval=20s|timeInterval: 20s/);
  expect(manifests('out-new')).toMatch(/evaluation_interval: 40s|evaluationInterval=40s|interval: 40s/);
});

test('GIVEN the deprecated httpVocabulary spellings seed1 and seed2 WHEN synthesized from the command line THEN each warns with file, field, line and the new name, and the output is the same as with the new names', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deprecated-vocabulary-'));
  const qa = shippedConfigOf('qa');
  // The catalogue under test, plus one service of each vocabulary so both old spellings are always read.
  const services = [
    ...qa.config.services,
    { name: 'vocabulary-a', namespace: 'vocabulary-probe', stack: 'go', httpVocabulary: 'prometheus-client' },
    { name: 'vocabulary-b', namespace: 'vocabulary-probe', stack: 'go', httpVocabulary: 'opentelemetry-ms' },
  ];
  const oldName = Object.fromEntries(Object.entries(DEPRECATED_HTTP_VOCABULARIES).map(([old, now]) => [now, old]));
  const only = synthesizeBothForms(dir, qa.file, {
    old: [[['services'], services.map((s) => ({ ...s, httpVocabulary: oldName[s.httpVocabulary] }))]],
    new: [[['services'], services]],
  });
  // The old form warns once per service, naming the field and the new value, at the line that spells the old one.
  const lines = fs.readFileSync(path.join(dir, 'old', 'qa.yaml'), 'utf8').split('\n');
  expect(only.new).toEqual([]);
  expect(only.old).toHaveLength(services.length);
  const warnedLines = services.map((svc, i) => {
    const [old, now] = [oldName[svc.httpVocabulary], svc.httpVocabulary];
    const pattern = new RegExp(`^warning: <dir>/qa\\.yaml: services\\[${i}\\]\\.httpVocabulary: "${old}" is deprecated; write "${now}" instead.*\\(line (\\d+)\\)$`);
    const found = only.old.map((w) => pattern.exec(w)).filter((m) => m !== null);
    expect(found).toHaveLength(1);
    const line = Number(found[0]![1]);
    expect(lines[line - 1].trim()).toBe(`httpVocabulary: ${old}`);
    return line;
  });
  expect(new Set(warnedLines).size).toBe(services.length);
  // Every file but the deploy annotation, whose source identity hashes the config file's text, which differs by design.
  const files = (out: string) => listFiles(path.join(dir, out)).filter((f) => !f.endsWith('deploy-annotation.k8s.yaml'));
  expect(files('out-old')).toEqual(files('out-new'));
  for (const f of files('out-old')) {
    expect(`${f}\n${fs.readFileSync(path.join(dir, 'out-old', f), 'utf8')}`).toBe(`${f}\n${fs.readFileSync(path.join(dir, 'out-new', f), 'utf8')}`);
  }
});
