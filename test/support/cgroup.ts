/**
 * cgroup v1 memory (and CPU) cgroups standing in for a container's limits: the process runs inside them from its
 * first instruction (a shell joins the cgroups, then execs the binary), so the kernel charges, throttles and limits
 * it as the kubelet's cgroups would, and the collector's memory_limiter (`limit_percentage`) reads this memory limit
 * as it reads the pod's. Needs root and the v1 controllers mounted at /sys/fs/cgroup/memory and /sys/fs/cgroup/cpu.
 */
import * as fs from 'fs';
import * as path from 'path';

const MEMORY = '/sys/fs/cgroup/memory';
const CPU = '/sys/fs/cgroup/cpu';
/** The CFS period the kubelet uses: a limit of N cores is a quota of N × 100 ms per 100 ms. */
const CFS_PERIOD_US = 100_000;

export interface ContainerCgroup {
  readonly limitBytes: number;
  /** `cmd args` as a command that starts inside the cgroups. */
  wrap(cmd: string, args: string[]): { cmd: string; args: string[] };
  /** A number from one of the memory cgroup's files (`memory.max_usage_in_bytes`, `memory.failcnt`). */
  read(file: string): number;
  /** `memory.stat` or `memory.oom_control` (or, with `cpu/`, `cpu/cpu.stat`) as a map. */
  table(file: string): Record<string, number>;
  /** Removes the cgroups; their processes must have exited. */
  remove(): void;
}

export function createContainerCgroup(name: string, limits: { memoryBytes: number; cpuCores?: number }): ContainerCgroup {
  for (const [root, file] of [[MEMORY, 'memory.limit_in_bytes'], ...(limits.cpuCores ? [[CPU, 'cpu.cfs_quota_us']] : [])]) {
    if (!fs.existsSync(path.join(root, file))) {
      throw new Error(`${root} is not a cgroup v1 controller with ${file}: this needs one it can write, as root, to give the process its container's limits`);
    }
  }
  const memory = path.join(MEMORY, `${name}-${process.pid}`);
  fs.mkdirSync(memory);
  fs.writeFileSync(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  // No swap on the node, as the kubelet requires: memsw (when accounted) is held to the same limit.
  if (fs.existsSync(path.join(memory, 'memory.memsw.limit_in_bytes'))) fs.writeFileSync(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  const dirs = [memory];
  if (limits.cpuCores) {
    const cpu = path.join(CPU, `${name}-${process.pid}`);
    fs.mkdirSync(cpu);
    fs.writeFileSync(path.join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
    fs.writeFileSync(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpuCores * CFS_PERIOD_US)));
    dirs.push(cpu);
  }
  const fileOf = (file: string) => (file.startsWith('cpu/') ? path.join(dirs[1], file.slice(4)) : path.join(memory, file));
  const read = (file: string) => Number(fs.readFileSync(fileOf(file), 'utf8').trim());
  return {
    limitBytes: read('memory.limit_in_bytes'),
    wrap: (cmd, args) => ({
      cmd: '/bin/sh',
      args: ['-c', `for d in ${dirs.map((d) => `'${d}'`).join(' ')}; do echo $$ > "$d/cgroup.procs" || exit 1; done; exec "$@"`, 'sh', cmd, ...args],
    }),
    read,
    table: (file) =>
      Object.fromEntries(
        fs
          .readFileSync(fileOf(file), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/))
          .map(([k, v]) => [k, Number(v)]),
      ),
    remove: () => {
      for (const d of dirs) if (fs.existsSync(d)) fs.rmdirSync(d);
    },
  };
}
