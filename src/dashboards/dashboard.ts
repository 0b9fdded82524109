import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

/** A dashboard rendered to Grafana's JSON model, ready to provision or import. */
export interface RenderedDashboard {
  readonly uid: string;
  readonly title: string;
  readonly json: Record<string, unknown>;
}

const UID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * Builds the dashboard and checks what Grafana would silently get wrong:
 * a missing or unstable uid, duplicate panel ids, panels without a datasource
 * and targets without a refId.
 */
export function renderDashboard(builder: dashboard.DashboardBuilder): RenderedDashboard {
  const model = builder.build();
  const uid = model.uid ?? '';
  if (!UID_PATTERN.test(uid)) {
    throw new Error(`dashboard "${model.title}": uid "${uid}" must be 1-40 lower-case letters, digits and "-", and stable`);
  }
  // Panel ids are assigned here, in order, so they are stable and unique.
  const panels = (model.panels ?? []) as Array<Record<string, any>>;
  panels.forEach((panel, i) => {
    panel.id = i + 1;
    if (!panel.datasource) throw new Error(`dashboard "${uid}": panel "${panel.title}" has no datasource`);
    for (const target of panel.targets ?? []) {
      if (!target.refId) throw new Error(`dashboard "${uid}": panel "${panel.title}" has a target without refId`);
    }
  });
  return { uid, title: model.title ?? uid, json: JSON.parse(JSON.stringify(model)) };
}
