import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { lintDashboard } from './lint';
import { DEPLOY_ANNOTATION_TAG } from './presets';

/** A dashboard rendered to Grafana's JSON model, ready to provision or import. */
export interface RenderedDashboard {
  readonly uid: string;
  readonly title: string;
  readonly json: Record<string, unknown>;
}

const UID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * Builds the dashboard and checks what Grafana would silently get wrong
 * (a missing or unstable uid, and everything `lintDashboard` checks), so a
 * broken dashboard fails the synth rather than a reviewer's eye.
 */
export function renderDashboard(builder: dashboard.DashboardBuilder, extraDatasourceUids: readonly string[] = []): RenderedDashboard {
  const model = builder.build();
  const uid = model.uid ?? '';
  if (!UID_PATTERN.test(uid)) {
    throw new Error(`dashboard "${model.title}": uid "${uid}" must be 1-40 lower-case letters, digits and "-", and stable`);
  }
  // Panel ids are assigned here, in order, so they are stable and unique.
  const panels = (model.panels ?? []) as Array<Record<string, any>>;
  panels.forEach((panel, i) => {
    panel.id = i + 1;
  });
  const problems = lintDashboard(model, DEPLOY_ANNOTATION_TAG, extraDatasourceUids);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { uid, title: model.title ?? uid, json: JSON.parse(JSON.stringify(model)) };
}

/**
 * A dashboard as Grafana exports it (its JSON model), checked like a built
 * one: the same uid rule and everything `lintDashboard` checks. The export's
 * numeric `id` belongs to the Grafana it came from and is dropped, as
 * provisioning requires; panel ids are the file's own, so lint checks them.
 */
export function checkDashboardJson(model: unknown, extraDatasourceUids: readonly string[] = []): RenderedDashboard {
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw new Error('expected a dashboard JSON model (an object)');
  const json = JSON.parse(JSON.stringify(model)) as Record<string, any>;
  if (Array.isArray(json.__inputs) && json.__inputs.length > 0) {
    throw new Error('the file was exported "for sharing externally": its datasources are ${DS_...} inputs; export it again without that option');
  }
  const uid = typeof json.uid === 'string' ? json.uid : '';
  if (!UID_PATTERN.test(uid)) {
    throw new Error(`dashboard "${json.title ?? ''}": uid "${uid}" must be 1-40 lower-case letters, digits and "-", and stable`);
  }
  if (typeof json.title !== 'string' || json.title === '') throw new Error(`dashboard "${uid}": no title`);
  const problems = lintDashboard(json, DEPLOY_ANNOTATION_TAG, extraDatasourceUids);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  delete json.id;
  return { uid, title: json.title, json };
}
