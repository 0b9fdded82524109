import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { goTemplateSyntaxError } from '../src/config/go-template';
import { ruleFiles } from './support/dist-files';
import { tempDir } from './support/process';
import { allSynthesizedEnvironments } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

/**
 * Alert templates, well-formed and broken, covering every construct the
 * checker knows: actions, trim markers, comments, strings and escapes,
 * numbers, fields, variables, pipelines, parentheses and blocks.
 */
const TEMPLATES = [
  '{{ $labels.service ',
  '{{ $labels.service }}',
  '{{ $value | humanizePercentage }} of requests fail',
  '{{ printf "%.2f" $value }}',
  '{{ if gt $value 1.0 }}high{{ else }}low{{ end }}',
  '{{ if gt $value 1.0 }}high',
  '{{ end }}',
  '{{ else }}',
  '{{ $foo }}',
  '{{ humanise $value }}',
  '{{ }}',
  '{{ $value | }}',
  '{{ | humanize }}',
  '{{ (humanize $value }}',
  '{{ humanize $value) }}',
  '{{ "unterminated }}',
  '{{ `raw }}',
  '{{/* comment */}}',
  '{{- /* comment */ -}}',
  '{{ /* comment */ }}',
  '{{/* comment */ }}',
  '{{/* unclosed }}',
  '{{- $value -}}',
  '{{-$value}}',
  '{{ $value-}}',
  '{{ range $i, $e := $labels }}{{ $i }}={{ $e }}{{ end }}',
  '{{ if $x := 1 }}{{ $x }}{{ else }}{{ $x }}{{ end }}',
  '{{ if true }}{{ $y := 1 }}{{ else }}{{ $y }}{{ end }}',
  '{{ $x := 1 }}{{ $x = 2 }}{{ $x }}',
  '{{ $z = 2 }}',
  '{{ if $a, $b := 1 }}{{ end }}',
  '{{ with $labels.pod }}{{ . }}{{ end }}',
  '{{ .Labels.pod }}',
  '{{ "a".b }}',
  '{{ "a" .b }}',
  '{{ true.x }}',
  '{{ nil }}',
  '{{ 3x }}',
  '{{ 0x1F }}',
  '{{ 1e3 }}',
  '{{ -3 }}',
  '{{ - }}',
  '{{ \'a\' }}',
  '{{ \'a }}',
  '{{ "\\q" }}',
  '{{ "\\n" }}',
  '{{ $labels.x | toUpper | printf "%s!" }}',
  '{{ index $labels "pod-name" }}',
  '{{ (index $labels "x").y }}',
  '{{ humanize.x }}',
  '{{ break }}',
  '{{ range $labels }}{{ break }}{{ end }}',
  '{{ with $value }}{{ else with $labels }}{{ end }}',
  '{{ if 1 }}{{ else if 2 }}{{ end }}',
  '{{ else foo }}',
  '{{ end foo }}',
  '{{ $value # }}',
  '{{ $value ; }}',
  '{{ query "up" | first | value | humanize }}',
  'text }} only',
  '{{ $value }}{{',
  '{{ if }}{{ end }}',
  '{{ range }}{{ end }}',
  '{{ $labels.x.y.z }}',
  '{{ $ }}',
  '{{ $.Labels.x }}',
  '{{ .5 }}',
  '{{ 1.2.3 }}',
  '{{ and (eq $labels.a "b") (ne $value 0.0) }}',
  '{{\n$value\n}}',
  '{{ reReplaceAll "(a)" "$1" $labels.x }}',
  '{{ $labels.instance | stripPort }}',
  '{{ externalURL }}',
  '{{ $externalURL }}',
  '{{ $externalLabels.cluster }}',
  '{{ if not (eq $value 0.0) }}x{{ end }}',
  '{{ $value | humanizeDuration }} lag on {{ $labels.topic }}',
  '{{ $x := $x }}',
  '{{ ( ) }}',
  '{{ (1) }}',
  '{{ $labels.}}',
  '{{ $labels. }}',
  '{{ .}}',
  '{{ ..x }}',
  '{{ . .x }}',
  'line one\n{{ $labels.a }}\n{{ if }}',
  '{{ "a\\\'b" }}',
  '{{ "\\x4g" }}',
  '{{ "\\u00e9" }}',
  '{{ humanize(1) }}',
  '{{ "a""b" }}',
  '{{ $value | | humanize }}',
  '{{ (1)(2) }}',
  '{{ (1).x }}',
  '{{ $x = 1 }}{{ $x }}',
  '{{ $value |}}',
  '{{ template "x" }}',
  '{{ template "x" $value }}',
  '{{ template x }}',
  '{{ define "x" }}a{{ end }}',
  '{{ block "x" $value }}a{{ end }}',
  '{{ if true }}{{ define "x" }}a{{ end }}{{ end }}',
  '{{ $value|humanize }}',
  '{{ (humanize $value)|printf "%s" }}',
  '{{ $labels.x}}',
  '{{ 1}}',
  '{{ "x"}}',
  '{{ humanize.x.y $value }}',
];

describe('goTemplateSyntaxError agrees with Prometheus', () => {
  test('GIVEN each template as an alert description WHEN promtool checks the rules THEN it refuses exactly the ones synth refuses', () => {
    const file = path.join(tempDir('alert-templates-'), 'rules.yaml');
    const rules = TEMPLATES.map((description, i) => ({ alert: `Template${i}`, expr: 'up == 0', annotations: { description } }));
    fs.writeFileSync(file, stringify({ groups: [{ name: 'templates', rules }] }));
    const result = run(requireTool('promtool'), ['check', 'rules', file]);
    // promtool names each refused rule as `rule N, "TemplateI"`; refusing any makes it exit 1.
    const refusedByPromtool = new Set([...result.stderr.matchAll(/"Template(\d+)": annotation "description"/g)].map((m) => Number(m[1])));
    const refusedBySynth = new Set(TEMPLATES.flatMap((t, i) => (goTemplateSyntaxError(t) ? [i] : [])));
    expect(refusedBySynth.size).toBeGreaterThan(30);
    expect(TEMPLATES.length - refusedBySynth.size).toBeGreaterThan(30);
    expect(result.code).toBe(1);
    const differences = TEMPLATES.flatMap((t, i) =>
      refusedByPromtool.has(i) === refusedBySynth.has(i) ? [] : [`${JSON.stringify(t)}: promtool ${refusedByPromtool.has(i) ? 'refuses' : 'accepts'}`],
    );
    expect(differences).toEqual([]);
  });

  test('GIVEN the broken template of a user report THEN the message says what is wrong', () => {
    expect(goTemplateSyntaxError('{{ $labels.service ')).toBe('line 1: unclosed action');
    expect(goTemplateSyntaxError('{{ humanise $value }}')).toBe('line 1: function "humanise" not defined');
  });

  test("GIVEN every annotation and label of the platform's own alerts THEN none is reported (no false alarms)", () => {
    // An agent cluster evaluates no rules, so it has no rules directory.
    const withRules = allSynthesizedEnvironments().filter(({ dir }) => fs.existsSync(path.join(dir, 'rules')));
    const texts = withRules.flatMap(({ dir }) =>
      ruleFiles(dir).flatMap((f) =>
        f.groups.flatMap((g) => g.rules.flatMap((r: any) => [...Object.values(r.annotations ?? {}), ...Object.values(r.labels ?? {})] as string[])),
      ),
    );
    expect(texts.filter((t) => t.includes('{{')).length).toBeGreaterThan(30);
    expect(texts.filter((t) => goTemplateSyntaxError(t) !== undefined)).toEqual([]);
  });
});
