// Incidents replayed on the workload (generate.mjs): each a deterministic overlay on the series the
// base workload writes, over a window given in minutes before the workload's end
// (`--incident grpc-handshake-hang:150:110`). Without incidents the workload is written as before.
//
// Shapes stay real: a counter's rate changes, never its monotony (a reset only where a process
// restarts); a histogram's observations change, with buckets, sum and count moved together.
//
// An incident replay starts from a calm system, or a silent alert would mean nothing: the base
// workload runs hot for showing panels (p99 above the 200 ms SLO on the slower services, 5xx at the
// whole 0.1% budget, connections at 80% of max_connections, one statement regressed for its last two
// hours), which keeps latency, SLO and PostgreSQL alerts firing throughout. With incidents, `CALM`
// scales those down; everything else is the base workload's, sample for sample.

/** The base workload's knobs an incident replay turns down (multipliers; the base workload uses 1). */
export const CALM = {
  /** Latency means: p99 under 200 ms and p95 well under it on every service. */
  latency: 0.35,
  /** 5xx share: a fifth of the 0.1% availability budget. */
  serverErrors: 0.2,
  /** Client connections per service and state: about a third of max_connections in all. */
  connections: 0.4,
};

/** 0 outside [from, to); inside, rising to 1 over `rise` s and back to 0 over the last `fall` s. */
const ramp = (from, to, rise, fall) => (t) => {
  if (t < from || t >= to) return 0;
  return Math.min(1, (t - from) / rise, (to - t) / fall);
};
const inside = (from, to) => (t) => t >= from && t < to;

/** What each incident does, given its window [from, to) in Unix seconds and the catalogue. */
const INCIDENTS = {
  // gRPC handshakes from the saga's caller to payment-service hang until their 30 s deadline:
  // calls fail DeadlineExceeded after 30 s each, nothing completes, the saga stalls after PAYMENT_CREATED.
  'grpc-handshake-hang': ({ from, to, catalogue }) => {
    const caller = catalogue.find((s) => s.saga && (s.grpcClientTargets ?? []).some((t) => catalogue.find((c) => c.name === t)?.saga));
    if (!caller) throw new Error('grpc-handshake-hang: no saga service calls another saga service over gRPC');
    const target = caller.grpcClientTargets.find((t) => catalogue.find((c) => c.name === t)?.saga);
    const during = inside(from, to);
    const toTarget = (l) => l.app === caller.name && l.target === target;
    const stalls = sagaStalls(catalogue, during);
    return {
      rate: (name, l) => {
        if (name === 'grpc_client_requests_total' && toTarget(l)) {
          if (l.code === 'OK') return (t) => (during(t) ? 0 : 1);
          // The base's 0.01/s of DeadlineExceeded becomes every call: 10/s.
          if (l.code === 'DeadlineExceeded') return (t) => (during(t) ? 1000 : 1);
        }
        return stalls.rate(name, l);
      },
      histogram: (name, l) => {
        if (name === 'grpc_client_request_duration_seconds' && toTarget(l)) return (t) => (during(t) ? { mean: 30, constant: true } : undefined);
        return stalls.histogram(name, l);
      },
    };
  },

  // The saga's payments queue loses its consumers: messages pile up unread, no order completes.
  'stalled-saga': ({ from, to, catalogue, shortStep }) => {
    const during = inside(from, to);
    const payments = (l) => l.queue === 'payments';
    const stalls = sagaStalls(catalogue, during);
    return {
      histogram: stalls.histogram,
      rate: (name, l) => {
        if (/^rabbitmq_detailed_channel_messages_(delivered_ack|acked)_total$/.test(name) && payments(l)) return (t) => (during(t) ? 0 : 1);
        return stalls.rate(name, l);
      },
      value: (name, l) => {
        if (!payments(l)) return undefined;
        // The base publishes 15 messages a second to the queue; unconsumed, they stay ready.
        const piled = (t) => (during(t) ? (t - from + shortStep) * 15 : 0);
        if (name === 'rabbitmq_detailed_queue_messages_ready' || name === 'rabbitmq_detailed_queue_messages') return (t, v) => v + piled(t);
        if (name === 'rabbitmq_detailed_queue_consumers' || name === 'rabbitmq_detailed_queue_consumer_utilisation') return (t, v) => (during(t) ? 0 : v);
        return undefined;
      },
    };
  },

  // A 5xx burst on the first OpenTelemetry-vocabulary service: a fifth of its requests fail.
  '5xx-burst': ({ from, to, catalogue }) => {
    const svc = catalogue.find((s) => s.httpVocabulary === 'opentelemetry-ms');
    if (!svc) throw new Error('5xx-burst: no catalogue service on the opentelemetry-ms HTTP vocabulary');
    const during = inside(from, to);
    const failing = (l) => l.app === svc.name && l.status_code === '500';
    // 1000 times the calm 0.02% share: 20% of the requests.
    const factor = (t) => (during(t) ? 1000 : 1);
    return {
      rate: (name, l) => (name === 'http_server_requests_total' && failing(l) ? factor : undefined),
      histogram: (name, l) => (name === 'http_server_request_duration_ms' && failing(l) ? (t) => ({ rate: factor(t) }) : undefined),
    };
  },

  // The first Kafka consumer group falls behind: 6 000 messages per partition within 8 minutes,
  // caught up over the window's last 4.
  'kafka-consumer-lag': ({ from, to, catalogue }) => {
    const group = catalogue.flatMap((s) => s.kafkaConsumers ?? [])[0];
    if (!group) throw new Error('kafka-consumer-lag: no catalogue service declares kafkaConsumers');
    const behind = ramp(from, to, 480, 240);
    return { value: (name, l) => (name === 'kafka_consumer_lag' && l.group_id === group.groupId && l.topic === group.topics[0] ? (t, v) => v + 6000 * behind(t) : undefined) };
  },

  // The Debezium connector falls two minutes behind the WAL, and reads a fifth of its events.
  'cdc-lag': ({ from, to }) => {
    const behind = ramp(from, to, 180, 120);
    return {
      value: (name) => (name === 'debezium_source_connector_lag_seconds' ? (t, v) => v + 120 * behind(t) : undefined),
      rate: (name) => (name === 'debezium_source_connector_events_read_total' ? (t) => 1 - 0.8 * behind(t) : undefined),
    };
  },

  // A statement of today's top 50, 30 to 90 ms on average, regresses to five times its mean (a plan
  // change): above PostgresQueryRegression's 100 ms floor and twice its baseline, under the 1 s ceiling
  // and the 500 ms of a slow call.
  'slow-statement-regression': ({ from, to }) => ({
    statementRegression: { picks: (s) => s.mean > 0.03 && s.mean < 0.09, factor: (t) => (t >= from && t < to ? 5 : 1) },
  }),

  // One database service leaks connections: 150 sessions left idle in transaction within 12 minutes,
  // released when the window ends (its pods restarted).
  'postgres-connection-leak': ({ from, to, catalogue }) => {
    const svc = catalogue.filter((s) => s.database && !s.saga && !s.kafkaConsumers)[0];
    if (!svc) throw new Error('postgres-connection-leak: no catalogue service with a database outside the saga and Kafka');
    const leaked = ramp(from, to, 720, 30);
    let datname;
    return {
      value: (name, l) => {
        if (name !== 'pg_stat_activity_count' || l.application_name !== svc.name || l.state !== 'idle in transaction') return undefined;
        datname ??= l.datname;
        return l.datname === datname ? (t, v) => v + 150 * leaked(t) : undefined;
      },
    };
  },

  // The first Java service's first pod grows to its memory limit over 8 minutes and is OOM-killed:
  // its container restarts once (its process's counters start again from 0), the kill is counted,
  // and the pod is not ready and not scraped for one step.
  'oom-killed-pod': ({ from, to, catalogue, shortStep }) => {
    const svc = catalogue.find((s) => s.stack === 'java' && !s.jmx) ?? catalogue[0];
    const kill = from + 480;
    const killStep = (t) => t >= kill && t < kill + shortStep;
    const grow = ramp(from, kill, 480, 1);
    let pod;
    let ksmLabels;
    const limit = 536870912;
    return {
      value: (name, l) => {
        if (name === 'up' && l.app === svc.name && pod === undefined) pod = l.pod;
        if (l.pod !== pod || pod === undefined) return undefined;
        if (name === 'up' || (name === 'kube_pod_status_ready' && l.condition === 'true')) return (t, v) => (killStep(t) ? 0 : v);
        if (name === 'kube_pod_status_ready' && l.condition === 'false') return (t, v) => (killStep(t) ? 1 : v);
        if (name === 'kube_pod_container_status_restarts_total' || name === 'container_oom_events_total') {
          if (name === 'kube_pod_container_status_restarts_total') ksmLabels = l;
          return (t, v) => v + (t >= kill ? 1 : 0);
        }
        if (name === 'container_memory_working_set_bytes') return (t, v) => (t < kill ? v + (0.99 * limit - v) * grow(t) : t < to ? 0.6 * v : v);
        if (l.job === 'kubernetes-pods' && name.endsWith('_total')) {
          // The restarted process counts from 0: what it counted in the step it was killed in, then on.
          let before = 0;
          let previous = 0;
          return (t, v) => {
            if (t < kill) previous = v;
            else before ||= previous;
            return v - before;
          };
        }
        return undefined;
      },
      // The process's histograms start again from 0 too (generate.mjs empties their buckets, sum and count).
      histogram: (name, l) => (l.job === 'kubernetes-pods' && l.pod === pod && pod !== undefined ? (t) => (killStep(t) ? { restart: true } : undefined) : undefined),
      extra: (series) => {
        if (!ksmLabels) throw new Error(`oom-killed-pod: no restarts series for ${svc.name}`);
        series('kube_pod_container_status_last_terminated_reason', { ...ksmLabels, reason: 'OOMKilled' }, (t) => (t >= kill ? 1 : undefined));
      },
    };
  },

  // The AI service's GPU runs hot: 92 °C within 3 minutes, at full utilisation and power.
  'hot-gpu': ({ from, to }) => {
    const hot = ramp(from, to, 180, 120);
    return {
      value: (name) => {
        if (name === 'nvidia_smi_temperature_gpu') return (t, v) => v + (92 - v) * hot(t);
        if (name === 'nvidia_smi_utilization_gpu_ratio') return (t, v) => v + (1 - v) * hot(t);
        if (name === 'nvidia_smi_power_draw_watts') return (t, v) => v + (72 - v) * hot(t);
        return undefined;
      },
    };
  },
};

/** The saga's completions stop: neither COMPLETED nor COMPENSATION_COMPLETE is counted or timed. */
function sagaStalls(catalogue, during) {
  const sagaApps = new Set(catalogue.filter((s) => s.saga).map((s) => s.name));
  const ending = (l) => sagaApps.has(l.app) && (l.step === 'COMPLETED' || l.step === 'COMPENSATION_COMPLETE');
  return {
    rate: (name, l) => (name === 'saga_steps_total' && ending(l) ? (t) => (during(t) ? 0 : 1) : undefined),
    histogram: (name, l) => (name === 'saga_step_duration_seconds' && ending(l) ? (t) => (during(t) ? { rate: 0 } : undefined) : undefined),
  };
}

export const INCIDENT_NAMES = Object.keys(INCIDENTS);

/** `name:from:to` (minutes before the end) → { name, from, to } in Unix seconds. */
export function parseIncident(text, end) {
  const m = /^([\w-]+):(\d+):(\d+)$/.exec(text);
  if (!m) throw new Error(`--incident "${text}": expected <name>:<from>:<to>, minutes before the workload's end (e.g. hot-gpu:60:40)`);
  const [, name, from, to] = m;
  if (!INCIDENTS[name]) throw new Error(`--incident "${text}": no incident "${name}"; known: ${INCIDENT_NAMES.join(', ')}`);
  if (Number(from) <= Number(to)) throw new Error(`--incident "${text}": its start (${from} min before the end) must be before its end (${to} min before the end)`);
  return { name, from: end - Number(from) * 60, to: end - Number(to) * 60 };
}

/**
 * The overlay of some incidents, or undefined without any. Each hook is asked once per series (its name
 * and labels) and returns undefined to leave it be:
 * - rate(name, labels) → (t) => a counter's rate multiplier at t;
 * - histogram(name, labels) → (t) => { rate?, mean?, constant? } at t (undefined: the base's), the
 *   observations' rate multiplier and mean, every observation equal to the mean when `constant`;
 * - value(name, labels) → (t, v) => the sample at t (undefined: no sample);
 * - statementRegression: { picks(statement), factor(t) }, which statement regresses and when;
 * - extra(series): series of its own.
 */
export function incidentOverlay(incidents, { catalogue, shortStep }) {
  if (incidents.length === 0) return undefined;
  const parts = incidents.map((i) => INCIDENTS[i.name]({ ...i, catalogue, shortStep }));
  const hooks = (hook, name, labels) => parts.map((p) => p[hook]?.(name, labels)).filter(Boolean);
  return {
    calm: CALM,
    // Incidents on the same series (the saga's stall in two of them) add up: rates multiply, samples apply in turn.
    rate: (name, labels) => {
      const fns = hooks('rate', name, labels);
      return fns.length === 0 ? undefined : (t) => fns.reduce((acc, f) => acc * f(t), 1);
    },
    histogram: (name, labels) => {
      const fns = hooks('histogram', name, labels);
      if (fns.length === 0) return undefined;
      return (t) => {
        const shapes = fns.map((f) => f(t)).filter(Boolean);
        if (shapes.length === 0) return undefined;
        return Object.assign({}, ...shapes, { rate: shapes.reduce((acc, s) => acc * (s.rate ?? 1), 1), restart: shapes.some((s) => s.restart) });
      };
    },
    value: (name, labels) => {
      const fns = hooks('value', name, labels);
      if (fns.length === 0) return undefined;
      return (t, v) => fns.reduce((acc, f) => (acc === undefined ? acc : f(t, acc)), v);
    },
    statementRegression: parts.find((p) => p.statementRegression)?.statementRegression ?? { picks: () => false, factor: () => 1 },
    extra: (series) => parts.forEach((p) => p.extra?.(series)),
  };
}
