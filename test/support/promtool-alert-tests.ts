import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlertTests, promtoolTestFile } from '../../src/kit/alert-tests';
import { toYaml } from '../../src/lib/yaml';
import { RuleFile, ruleFiles } from './dist-files';
import { requireTool, run } from './tools';

/** The recordings that the rules of `group` read, and those they read in turn. */
function recordingsRead(groups: RuleFile['groups'], group: string): Set<string> {
  const records = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
  const reads = (expr: string) => [...records].filter((name) => new RegExp(`(^|[^\\w:])${name}($|[^\\w:])`).test(expr));
  const needed = new Set<string>();
  const queue = groups.filter((g) => g.name === group).flatMap((g) => g.rules.flatMap((r) => reads(r.expr)));
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    for (const r of groups.flatMap((g) => g.rules)) if (r.record === name) queue.push(...reads(r.expr));
  }
  return needed;
}

/** Runs promtool's unit tests for one group against the synthesized rule file. */
export function promtoolTest(envDir: string, tests: AlertTests) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-tests-'));
  const files = ruleFiles(envDir);
  if (!files.some((f) => f.groups.some((g) => g.name === tests.group))) throw new Error(`no synthesized rule group "${tests.group}" in ${envDir}`);
  // The group under test, plus the recording rules of other groups that it reads (directly or through other
  // recordings), as in Prometheus: an alert may use another group's recordings (a 1h-interval baseline group,
  // the SLO windows). Everything else is left out; evaluating it at every step of every case would only cost time.
  // Annotations are templates checked by `promtool check rules`; the unit tests compare labels.
  const all = files.flatMap((f) => f.groups);
  const needed = recordingsRead(all, tests.group);
  const groups = all
    .map((g) => ({ ...g, rules: g.name === tests.group ? g.rules : g.rules.filter((rule) => rule.record && needed.has(rule.record)) }))
    .filter((g) => g.rules.length > 0)
    // promtool evaluates the groups one after the other at each step, in the test file's group_eval_order (without
    // one, in Go map order, which differs from run to run). The group under test goes last, so the recordings it reads from other groups are as fresh as in Prometheus, where every group runs
    // on its own (a 5-minute group reading an every-round group's recording sees one at most a round old).
    .sort((a, b) => Number(a.name === tests.group) - Number(b.name === tests.group));
  const withoutAnnotations = { groups: groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _a, ...rule }) => rule) })) };
  fs.writeFileSync(path.join(work, `${tests.group}.yaml`), toYaml(withoutAnnotations));
  // The recordings' groups first, the tested group last, every run in that order.
  fs.writeFileSync(path.join(work, 'test.yaml'), promtoolTestFile(tests, groups.map((g) => g.name)));
  // Cases simulate up to days of samples (the SLO windows): on a loaded, shared machine that can take over a minute.
  return run(requireTool('promtool'), ['test', 'rules', 'test.yaml'], { cwd: work, timeoutMs: 240_000 });
}

