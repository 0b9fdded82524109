import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireTool, run } from '../../../test/support/tools';
import { AlertTests, promtoolTestFile } from '../../kit/alert-tests';
import { renderRuleGroup, ruleFileYaml } from '../../kit/rule-model';
import { gpuRules } from './rules';

/**
 * The shipped configs use nvidia-smi, whose rules test/alert-rules.test.ts checks
 * with rules.alert-tests.ts. These cases hold the dcgm variant of the same group
 * to the same standard: DCGM units (MiB, used + free) and labels (UUID).
 */
const dcgmTests: AlertTests = {
  group: 'gpu',
  cases: [
    {
      name: 'dcgm: GpuTemperatureHigh above 80 °C for 10 minutes, per GPU',
      series: [
        { series: 'DCGM_FI_DEV_GPU_TEMP{UUID="GPU-a", gpu="0", node="gpu-1", job="gpu-exporter"}', values: '70x4 82x20' },
        { series: 'DCGM_FI_DEV_GPU_TEMP{UUID="GPU-b", gpu="1", node="gpu-1", job="gpu-exporter"}', values: '80x24' },
      ],
      checks: [
        { at: '14m', alert: 'GpuTemperatureHigh', firing: [] },
        { at: '16m', alert: 'GpuTemperatureHigh', firing: [{ severity: 'warning', UUID: 'GPU-a', node: 'gpu-1' }] },
      ],
    },
    {
      name: 'dcgm: GpuMemoryHigh takes total as used + free (MiB), above 90% for 15 minutes',
      series: [
        { series: 'DCGM_FI_DEV_FB_USED{UUID="GPU-a", node="gpu-1", exported_pod="ollama-0"}', values: '1000x4 7500x25' },
        { series: 'DCGM_FI_DEV_FB_FREE{UUID="GPU-a", node="gpu-1", exported_pod="ollama-0"}', values: '7000x4 500x25' },
        // 85%: below the threshold.
        { series: 'DCGM_FI_DEV_FB_USED{UUID="GPU-b", node="gpu-1"}', values: '6800x29' },
        { series: 'DCGM_FI_DEV_FB_FREE{UUID="GPU-b", node="gpu-1"}', values: '1200x29' },
      ],
      checks: [
        { at: '19m', alert: 'GpuMemoryHigh', firing: [] },
        { at: '21m', alert: 'GpuMemoryHigh', firing: [{ severity: 'warning', UUID: 'GPU-a', node: 'gpu-1' }] },
      ],
    },
    {
      name: 'AiServiceNotReady follows the configured deployment',
      series: [
        { series: 'kube_deployment_status_replicas_ready{namespace="llm", deployment="chat"}', values: '0x10' },
        { series: 'kube_deployment_spec_replicas{namespace="llm", deployment="chat"}', values: '2x10' },
      ],
      checks: [
        { at: '4m', alert: 'AiServiceNotReady', firing: [] },
        { at: '6m', alert: 'AiServiceNotReady', firing: [{ severity: 'critical', namespace: 'llm', deployment: 'chat' }] },
      ],
    },
  ],
};

function promtool(tests: AlertTests) {
  const group = renderRuleGroup(
    gpuRules({ exporter: 'dcgm', aiService: { name: 'chat', namespace: 'llm' }, temperatureCelsius: 80, memoryUsedRatio: 0.9 }),
    { runbookBaseUrl: 'https://example.test/runbooks' },
  );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-rules-'));
  fs.writeFileSync(path.join(work, 'gpu.yaml'), ruleFileYaml([group]));
  const check = run(requireTool('promtool'), ['check', 'rules', 'gpu.yaml'], { cwd: work });
  // As in test/alert-rules.test.ts: annotations are checked by `check rules`, the unit tests compare labels.
  const withoutAnnotations = { ...group, rules: group.rules.map(({ annotations: _a, ...rule }: any) => rule) };
  fs.writeFileSync(path.join(work, 'gpu.yaml'), ruleFileYaml([withoutAnnotations]));
  fs.writeFileSync(path.join(work, 'test.yaml'), promtoolTestFile(tests));
  const test = run(requireTool('promtool'), ['test', 'rules', 'test.yaml'], { cwd: work });
  return { check, test };
}

test('GIVEN dcgm, custom thresholds and another AI service THEN promtool accepts the rules and their unit tests pass', () => {
  const { check, test } = promtool(dcgmTests);
  expect({ code: check.code, out: check.code === 0 ? '' : check.stdout + check.stderr }).toEqual({ code: 0, out: '' });
  expect({ code: test.code, out: test.code === 0 ? '' : test.stdout + test.stderr }).toEqual({ code: 0, out: '' });
});

test('the dcgm cases can fail: expecting silence while GPU-a is above the threshold makes promtool fail', () => {
  const wrong: AlertTests = { group: 'gpu', cases: [{ ...dcgmTests.cases[1], checks: [{ at: '21m', alert: 'GpuMemoryHigh', firing: [] }] }] };
  expect(promtool(wrong).test.code).not.toBe(0);
});

test('every alert of the GPU group is there, with its threshold from the options', () => {
  const rules = gpuRules({ exporter: 'nvidia-smi', aiService: { name: 'ai-service', namespace: 'go-ai' }, temperatureCelsius: 83, memoryUsedRatio: 0.8 });
  // Rendered: the thresholds are named placeholders in the spec, filled with their values here.
  const rendered = renderRuleGroup(rules, { runbookBaseUrl: 'https://example.test/runbooks' });
  const byName = Object.fromEntries(rendered.rules.map((r) => ['alert' in r ? r.alert : r.record, r.expr]));
  expect(Object.keys(byName)).toEqual(['GpuExporterDown', 'AiServiceNotReady', 'GpuTemperatureHigh', 'GpuMemoryHigh']);
  expect(byName.GpuTemperatureHigh).toBe('max by (node, uuid) (nvidia_smi_temperature_gpu) > 83');
  expect(byName.GpuMemoryHigh).toBe('max by (node, uuid) (nvidia_smi_memory_used_bytes) / max by (node, uuid) (nvidia_smi_memory_total_bytes) > 0.8');
  expect(byName.AiServiceNotReady).toContain('kube_deployment_status_replicas_ready{namespace="go-ai", deployment="ai-service"} == 0');
});
