/**
 * Every Alloy configuration the stack renders (logs.agent: alloy) is parsed by Alloy's own parser, the
 * github.com/grafana/alloy/syntax module Alloy's go.mod requires at the image's release, built by
 * `npm run tools alloy-syntax` (scripts/tools/go/alloy-syntax). It checks the syntax, not component schemas.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parseConfig } from '../src/config/loader';
import { IMAGES } from '../src/lib/images';
import { Stack } from '../src/stack';
import { synthesize } from '../src/synth';
import { semverOfTag } from '../scripts/tools/catalog';
import { ComponentConfig, componentConfigs } from './support/component-configs';
import { configVariant, minimalConfig, REPO_ROOT, shippedConfigs, synthesizedExamples } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

const TOOL_DIR = path.join(REPO_ROOT, 'scripts', 'tools', 'go', 'alloy-syntax');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-syntax-'));

/** The shipped prod config with Alloy as its log agent, synthesized. */
function prodWithAlloy(): ComponentConfig[] {
  const { file, config: shipped } = shippedConfigs()[0];
  const config = configVariant(file, shipped.environment, [[['logs', 'agent'], 'alloy']]);
  const out = path.join(work, 'prod-alloy');
  synthesize({ config, out, sourceRoot: REPO_ROOT });
  return componentConfigs(out, `${path.basename(file)} with logs.agent: alloy`);
}

/** The smallest config with Alloy: every default. */
function minimalWithAlloy(): ComponentConfig[] {
  const yaml = `${minimalConfig()}logs:\n  agent: alloy\n`;
  const app = new App({ outdir: Testing.app().outdir });
  new Stack(app, 'stack', parseConfig(yaml, 'test.yaml'), { sourceIdentity: '0000000', argocd: new App() });
  const objects = app.charts.flatMap((c) => c.toJson()) as Array<{ kind: string; metadata: { name: string }; data?: Record<string, string> }>;
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'alloy-config');
  if (!cm?.data) throw new Error('no alloy-config ConfigMap');
  return Object.entries(cm.data).map(([key, text]) => ({ kind: 'alloy' as const, where: `a minimal config with logs.agent: alloy, ${key}`, text }));
}

function parseAlloy(name: string, text: string) {
  const file = path.join(work, `${name.replace(/[^A-Za-z0-9.-]+/g, '_')}.alloy`);
  fs.writeFileSync(file, text);
  const r = run(requireTool('alloy-syntax'), [file]);
  return { code: r.code, errors: r.stderr.split(file).join(path.basename(file)).trim() };
}

describe('alloy-syntax', () => {
  test('GIVEN the alloy image WHEN the parser is built THEN it stands for that release (bump the syntax module with the image)', () => {
    const release = /const alloyRelease = "([^"]+)"/.exec(fs.readFileSync(path.join(TOOL_DIR, 'main.go'), 'utf8'))?.[1];
    const image = semverOfTag(IMAGES.alloy.tag);
    if (release !== image) {
      throw new Error(
        `scripts/tools/go/alloy-syntax parses as Alloy ${release}, but the alloy image is ${IMAGES.alloy.tag}: set its go.mod to the ` +
          `github.com/grafana/alloy/syntax version that Alloy v${image}'s go.mod requires, and alloyRelease in main.go to ${image}.`,
      );
    }
    expect(requireTool('alloy-syntax')).toMatch(/alloy-syntax$/);
  });

  test('GIVEN a file with an unclosed block and one with a missing value WHEN parsed THEN it fails with the file, line and column', () => {
    expect(parseAlloy('broken-block', 'loki.write "loki" {\n  endpoint {\n    url = "http://loki:3100/loki/api/v1/push"\n}\n')).toEqual({
      code: 1,
      errors: 'broken-block.alloy:5:1: expected }, got EOF',
    });
    const missing = parseAlloy('missing-value', 'discovery.kubernetes "pods" {\n  role = \n}\n');
    expect(missing.code).toBe(1);
    expect(missing.errors).toMatch(/^missing-value\.alloy:3:1: expected expression, got }/);
  });

  test('GIVEN a rendered config with its last brace removed WHEN parsed THEN it fails', () => {
    const [config] = minimalWithAlloy();
    const broken = config.text.replace(/}\s*$/, '');
    expect(parseAlloy('truncated', broken)).toMatchObject({ code: 1, errors: expect.stringMatching(/^truncated\.alloy:\d+:\d+: expected }, got EOF$/) });
  });

  const configs = [...componentConfigs(synthesizedExamples(), 'examples'), ...prodWithAlloy(), ...minimalWithAlloy()].filter((c) => c.kind === 'alloy');

  test('GIVEN examples/agent.yaml (which pushes to a Loki tenant), prod with Alloy and a minimal config WHEN synthesized THEN each renders an Alloy config', () => {
    expect(configs.map((c) => c.where)).toEqual([
      'examples/edge-a/log-agent.k8s.yaml ConfigMap/alloy-config config.alloy',
      `${path.basename(shippedConfigs()[0].file)} with logs.agent: alloy/${shippedConfigs()[0].config.environment}/log-agent.k8s.yaml ConfigMap/alloy-config config.alloy`,
      'a minimal config with logs.agent: alloy, config.alloy',
    ]);
    expect(configs.some((c) => /tenant_id = /.test(c.text))).toBe(true);
  });

  test.each(configs.map((c) => [c.where, c] as const))('GIVEN %s WHEN parsed by Alloy THEN it has no syntax error', (_, config) => {
    expect(parseAlloy(config.where, config.text)).toEqual({ code: 0, errors: '' });
  });
});
