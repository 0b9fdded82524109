import { App, Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { newDashboard } from '../kit/presets';
import { GrafanaDashboard } from '../kit/grafana-dashboard';
import { applySyncWaves, SYNC_OPTIONS_ANNOTATION, SYNC_WAVE_ANNOTATION, syncWaveOf, SyncWave } from './sync-waves';

/** Waves as three components would declare them for their charts. */
const WAVES = new Map([
  ['prometheus', SyncWave.BACKENDS],
  ['node-exporter', SyncWave.COLLECTORS],
  ['grafana', SyncWave.GRAFANA],
]);

function annotations(chart: Chart): Record<string, Record<string, string> | undefined> {
  return Object.fromEntries(Testing.synth(chart).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.annotations]));
}

describe('sync waves', () => {
  test('GIVEN foundation kinds in any component THEN they are in wave 1', () => {
    for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'PriorityClass']) {
      expect({ kind, wave: syncWaveOf(kind, 'grafana', WAVES) }).toEqual({ kind, wave: SyncWave.FOUNDATION });
    }
  });

  test('GIVEN other kinds THEN the wave is the component\'s', () => {
    expect(syncWaveOf('ConfigMap', 'prometheus', WAVES)).toBe(SyncWave.BACKENDS);
    expect(syncWaveOf('DaemonSet', 'node-exporter', WAVES)).toBe(SyncWave.COLLECTORS);
    expect(syncWaveOf('StatefulSet', 'grafana', WAVES)).toBe(SyncWave.GRAFANA);
  });

  test('fails if a component declared no wave for its chart, naming it and how to declare one', () => {
    expect(() => syncWaveOf('Deployment', 'no-such-component', WAVES)).toThrow(
      'no Argo CD sync wave for component "no-such-component" (object kind Deployment): open its chart with a wave ' +
        '(BuildContext.chart(name, namespace, wave)); charts with a wave: prometheus, node-exporter, grafana',
    );
  });

  test('GIVEN a tree of charts WHEN applySyncWaves runs THEN every object is annotated by chart, and dashboards get server-side apply', () => {
    const app = new App();
    const prometheus = new Chart(app, 'prometheus');
    new k8s.KubeConfigMap(prometheus, 'config', { metadata: { name: 'prometheus-config' } });
    new k8s.KubeServiceAccount(prometheus, 'sa', { metadata: { name: 'prometheus' } });
    const grafana = new Chart(app, 'grafana');
    new GrafanaDashboard(grafana, 'dashboard', {
      namespace: 'monitoring',
      builder: newDashboard({ uid: 'test', title: 'Test', tags: [] }),
    });
    applySyncWaves(app, WAVES);
    expect(annotations(prometheus)).toStrictEqual({
      'ConfigMap/prometheus-config': { [SYNC_WAVE_ANNOTATION]: '2' },
      'ServiceAccount/prometheus': { [SYNC_WAVE_ANNOTATION]: '1' },
    });
    expect(annotations(grafana)).toStrictEqual({
      'ConfigMap/grafana-dashboard-test': { [SYNC_WAVE_ANNOTATION]: '4', [SYNC_OPTIONS_ANNOTATION]: 'ServerSideApply=true' },
    });
  });
});
