import { DATASOURCE } from '../../kit/datasources';
import type { GrafanaDatasource } from '../../kit/grafana-datasource';

/**
 * The datasource settings that turn the investigation path (metric spike
 * -> filtered logs -> distributed trace -> root cause) into clicks:
 *
 * - Prometheus `exemplarTraceIdDestinations`: an exemplar's `trace_id` label
 *   opens the trace in the Jaeger datasource;
 * - Loki `derivedFields`: a trace ID in a JSON log line (`traceID`, `trace_id`,
 *   `traceId`) or in the `trace_id` structured metadata of an OTLP log
 *   becomes a link to the Jaeger datasource;
 * - Jaeger `tracesToLogsV2`: a span opens the Loki logs of its service that
 *   contain its trace ID.
 *
 * Every link names its target by uid from `DATASOURCE`, so `datasourceLinkProblems`
 * can prove that each one points at a datasource that exists.
 */

/** Grafana expands `${...}` in provisioning files from the environment; `$$` keeps a literal `$`. */
const TRACE_ID_VALUE = '$${__value.raw}';

/**
 * A trace ID as services log it: Go's slog JSON handler writes `"traceID":"…"`,
 * Platform-Kernel writes `"trace_id":"…"`. W3C trace IDs are 32 hex digits.
 */
export const TRACE_ID_IN_JSON_LINE = '"(?:traceID|traceId|trace_id)"\\s*:\\s*"([0-9a-fA-F]{32})"';

export function prometheusCorrelation(): Record<string, unknown> {
  return {
    // The collector's remote write carries OTel exemplars with a trace_id label.
    exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: DATASOURCE.jaeger.uid, urlDisplayLabel: 'View trace in Jaeger' }],
  };
}

export function lokiDatasource(url: string): GrafanaDatasource {
  return {
    name: 'Loki',
    type: DATASOURCE.loki.type,
    uid: DATASOURCE.loki.uid,
    url,
    access: 'proxy',
    editable: false,
    jsonData: {
      maxLines: 1000,
      // Queries over days of logs take longer than Grafana's 30 s default.
      timeout: 120,
      derivedFields: [
        {
          name: 'TraceID',
          matcherType: 'regex',
          matcherRegex: TRACE_ID_IN_JSON_LINE,
          url: TRACE_ID_VALUE,
          datasourceUid: DATASOURCE.jaeger.uid,
          urlDisplayLabel: 'View trace in Jaeger',
        },
        {
          // Loki's OTLP endpoint stores the log record's trace ID as structured metadata, not in the line.
          name: 'trace_id',
          matcherType: 'label',
          matcherRegex: 'trace_id',
          url: TRACE_ID_VALUE,
          datasourceUid: DATASOURCE.jaeger.uid,
          urlDisplayLabel: 'View trace in Jaeger',
        },
      ],
    },
  };
}

export function jaegerDatasource(url: string): GrafanaDatasource {
  return {
    name: 'Jaeger',
    type: DATASOURCE.jaeger.type,
    uid: DATASOURCE.jaeger.uid,
    url,
    access: 'proxy',
    editable: false,
    jsonData: {
      tracesToLogsV2: {
        datasourceUid: DATASOURCE.loki.uid,
        // Grafana builds `{service_name="<service.name>"} |= "<trace id>"`: the service's lines that carry this trace.
        filterByTraceID: true,
        filterBySpanID: false,
        // Loki 3 gives every stream a service_name label (from OTLP's service.name or the pod's app labels).
        tags: [{ key: 'service.name', value: 'service_name' }],
        // Logs are written a little before and after the span's own clock; search around it.
        spanStartTimeShift: '-5m',
        spanEndTimeShift: '5m',
      },
      nodeGraph: { enabled: true },
    },
  };
}

/** Every `datasourceUid` anywhere in a datasource's jsonData, with where it was found. */
function linkedUids(value: unknown, where: string): Array<{ where: string; uid: unknown }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => linkedUids(v, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k === 'datasourceUid' ? [{ where: `${where}.${k}`, uid: v }] : linkedUids(v, `${where}.${k}`),
    );
  }
  return [];
}

/** One message per link whose target uid is not among the datasources. */
export function datasourceLinkProblems(datasources: readonly GrafanaDatasource[]): string[] {
  const uids = new Set(datasources.map((d) => d.uid));
  return datasources.flatMap((d) =>
    linkedUids(d.jsonData, `${d.name}.jsonData`)
      .filter((link) => typeof link.uid !== 'string' || !uids.has(link.uid))
      .map((link) => `${link.where} is "${String(link.uid)}", which is not a datasource uid (have: ${[...uids].join(', ')})`),
  );
}
