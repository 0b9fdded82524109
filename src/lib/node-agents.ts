/**
 * The one list of node agents: the only workloads allowed host access, and the
 * only exceptions beyond read-only host mounts. Every node agent runs in the
 * `namespaces.nodeAgents` namespace; everything else stays restricted.
 *
 * test/manifests.test.ts checks every synthesized pod against this table, so a
 * new hostPath, a writable mount or a root container cannot slip in unlisted.
 * Constructs quote the reasons from here, so code and table cannot disagree.
 */
export interface NodeAgentExceptions {
  /** Host network, for metrics that are the host's (network interfaces). */
  readonly hostNetwork?: string;
  /** Host PID namespace, for metrics that are the host's (processes). */
  readonly hostPID?: string;
  /** Host paths mounted writable, each with why it must be written; a key ending in "/" covers the directories under it. */
  readonly writableHostPaths?: Readonly<Record<string, string>>;
  /** Why the agent must run as root. */
  readonly runsAsRoot?: string;
}

/** Promtail and Alloy run the same pipeline with the same needs. */
const LOG_AGENT: NodeAgentExceptions = {
  writableHostPaths: {
    '/var/lib/observability-platform/':
      'the read positions (one directory per environment and agent) must outlive the pod, so a restart neither loses nor re-sends lines',
  },
  runsAsRoot: "the kubelet writes the files under /var/log/pods as root with mode 0640; only root can read them",
};

/** Keyed by `<Kind>/<metadata.name>`. An entry with no exceptions still allows read-only host mounts. */
export const NODE_AGENTS: Readonly<Record<string, NodeAgentExceptions>> = {
  'DaemonSet/node-exporter': {
    hostNetwork: 'network-interface metrics are the host\'s, not the pod\'s',
    hostPID: 'process counts and per-process pressure are the host\'s',
  },
  'DaemonSet/nvidia-device-plugin': {
    writableHostPaths: {
      '/var/lib/kubelet/device-plugins':
        'the device-plugin API is a directory of Unix sockets: the plugin creates its own socket there and registers it through kubelet.sock',
    },
    runsAsRoot:
      'the kubelet\'s device-plugin directory and kubelet.sock belong to root; a non-root process can neither create its socket there nor connect to the kubelet',
  },
  'DaemonSet/gpu-exporter': {
    runsAsRoot:
      'dcgm-exporter only: per-pod attribution connects to the kubelet pod-resources socket, which only root may connect to',
  },
  'DaemonSet/promtail': LOG_AGENT,
  'DaemonSet/alloy': LOG_AGENT,
};
