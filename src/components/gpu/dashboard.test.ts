import { metricSelectors, promqlErrors } from '../../../test/support/query-parsers';
import { renderDashboard } from '../../kit/dashboard';
import { gpuDashboard } from './dashboard';
import { GPU_EXPORTERS } from './metrics';

function panels(exporter: 'nvidia-smi' | 'dcgm') {
  const json: any = renderDashboard(gpuDashboard({ exporter, temperatureCelsius: 85, memoryUsedRatio: 0.95 })).json;
  return json.panels as any[];
}

test.each(GPU_EXPORTERS)('GIVEN %s THEN utilisation, temperature, VRAM used and total, and power are shown, from that exporter only', (exporter) => {
  const all = panels(exporter);
  expect(all.map((p) => p.title)).toEqual(
    expect.arrayContaining(['Utilisation per GPU', 'Temperature per GPU', 'VRAM used and total per GPU', 'Power draw per GPU']),
  );
  const vram = all.find((p) => p.title === 'VRAM used and total per GPU');
  expect(vram.targets.map((t: any) => t.legendFormat)).toEqual([expect.stringMatching(/ used$/), expect.stringMatching(/ total$/)]);
  const prefix = exporter === 'dcgm' ? /^DCGM_FI_DEV_/ : /^nvidia_smi_/;
  for (const panel of all) {
    for (const t of panel.targets) {
      expect({ expr: t.expr, errors: promqlErrors(t.expr) }).toEqual({ expr: t.expr, errors: [] });
      for (const s of metricSelectors(t.expr)) expect({ expr: t.expr, metric: s.metric }).toEqual({ expr: t.expr, metric: expect.stringMatching(prefix) });
    }
  }
});

test('GIVEN dcgm THEN per-pod panels attribute GPUs to the pods that hold them; nvidia-smi cannot, so it has none', () => {
  const perPod = panels('dcgm').filter((p) => / per pod$/.test(p.title));
  expect(perPod.map((p) => p.title)).toEqual(['Utilisation per pod', 'VRAM used per pod']);
  for (const p of perPod) {
    expect(p.targets[0].expr).toContain('by (exported_namespace, exported_pod)');
    for (const s of metricSelectors(p.targets[0].expr)) expect(s.labels).toEqual(['exported_pod']);
  }
  expect(panels('nvidia-smi').filter((p) => / per pod$/.test(p.title))).toEqual([]);
});

test('the temperature and memory thresholds of the config turn the stats red', () => {
  const json: any = renderDashboard(gpuDashboard({ exporter: 'nvidia-smi', temperatureCelsius: 80, memoryUsedRatio: 0.9 })).json;
  const red = (title: string) => json.panels.find((p: any) => p.title === title).fieldConfig.defaults.thresholds.steps[1].value;
  expect(red('Hottest GPU')).toBe(80);
  expect(red('Fullest GPU memory')).toBe(0.9);
});
