import { EVENTS_JOB } from '../event-exporter/event-exporter';
import { POD_LOGS_JOB } from '../log-agent/pipeline';

/**
 * The LogQL a person runs most, written once: the Logs dashboard, the runbooks
 * and the README use these, and the tests parse every one with Grafana's
 * LogQL grammar. `$x` are Grafana variables.
 */
export const LOGQL = {
  /** Error lines of one app (like `{namespace="go-ecommerce"} | json | level="error"`). `level` is a stream label. */
  errorsOfApp: '{namespace="$namespace", app="$app", level="error"}',
  /**
   * Every line of one request, across services (like `{app="ai-service"} | json | traceID="..."`).
   * trace_id is structured metadata, so no parser is needed and no stream label holds it.
   */
  linesOfTrace: `{job="${POD_LOGS_JOB}"} | trace_id="$trace_id"`,
  /** Kubernetes Warning events of one namespace: the event's fields are JSON in the line. */
  warningEventsOfNamespace: `{job="${EVENTS_JOB}"} | json | namespace="$namespace"`,
  /** The auto_explain plans of one query id (the PostgreSQL dashboard's query). */
  plansOfQuery: '{namespace="$namespace", app="postgres"} |= "auto_explain" | json | query_id=~"$queryid"',
} as const;
