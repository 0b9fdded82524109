/**
 * The library surface, for platform teams composing their own cdk8s app: the
 * whole stack from a config, and the helpers that make their own workloads
 * part of the platform.
 */
export { Stack } from './stack';
export type { StackOptions } from './stack';
export type { UserDatasourceSpec } from './components/grafana/user-content';
export { synthesize, SynthError } from './synth';
export type { SynthOptions, EnvironmentSummary } from './synth';
export { loadConfigFile, parseConfig } from './config/loader';
export { StackConfigSchema } from './config/schema';
export type { StackConfig, StackConfigInput } from './config/schema';
export { ConfigError } from './config/errors';

// Make your own workloads part of the platform.
export { instrument } from './instrumentation/instrument';
export type { InstrumentOptions } from './instrumentation/instrument';
export { ObservablePostgres, databaseUrlEnv } from './components/postgres/postgres';
export type { ObservablePostgresProps, DatabaseUrlOptions } from './components/postgres/postgres';
export { requestGpu } from './components/gpu/request-gpu';
export type { RequestGpuOptions } from './components/gpu/request-gpu';

// Alerts and dashboards as code.
export { renderRuleGroup } from './kit/rule-model';
export type { AlertRuleSpec, RecordingRuleSpec, RuleGroupSpec, Severity } from './kit/rule-model';
export type { AlertTests, AlertTestCase } from './kit/alert-tests';
export { GrafanaDashboard } from './kit/grafana-dashboard';
export type { GrafanaDashboardProps } from './kit/grafana-dashboard';
export { newDashboard, timeseriesPanel, statPanel, GridLayout } from './kit/presets';
