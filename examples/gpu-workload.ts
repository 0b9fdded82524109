/**
 * Example: a GPU workload of your own, with the typed helper.
 *
 * An AI service (like `ai-service` in `go-ai`) answers with a local LLM served
 * by Ollama. This chart runs that Ollama server on a GPU node: one call to
 * `requestGpu` adds the `nvidia.com/gpu` limit, the GPU-node toleration, the
 * `nvidia` RuntimeClass and the node affinity.
 *
 *   npx tsx examples/gpu-workload.ts   # writes dist-examples/gpu-workload.k8s.yaml
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { requestGpu } from '../src/components/gpu/request-gpu';

export function gpuWorkloadChart(scope: Construct, id = 'gpu-workload'): Chart {
  const chart = new Chart(scope, id, { namespace: 'go-ai' });

  const models = new kplus.PersistentVolumeClaim(chart, 'models', {
    metadata: { name: 'ollama-models' },
    // Model weights are gigabytes: keep them across restarts instead of downloading them again.
    storage: Size.gibibytes(40),
    accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
  });

  const ollama = new kplus.Deployment(chart, 'ollama', {
    metadata: { name: 'ollama' },
    replicas: 1,
    // The models volume must be writable by the non-root user.
    securityContext: { fsGroup: 1000, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH },
    // One GPU and one ReadWriteOnce volume: the new pod can only start once the old one is gone.
    strategy: kplus.DeploymentStrategy.recreate(),
    containers: [
      {
        name: 'ollama',
        image: 'docker.io/ollama/ollama:0.12.3',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        portNumber: 11434,
        envVariables: {
          OLLAMA_HOST: kplus.EnvValue.fromValue('0.0.0.0:11434'),
          OLLAMA_MODELS: kplus.EnvValue.fromValue('/models'),
          // Ollama writes its key pair under $HOME; the root filesystem is read-only.
          HOME: kplus.EnvValue.fromValue('/tmp'),
          // Keep the model in VRAM between requests: loading it again costs seconds per request.
          OLLAMA_KEEP_ALIVE: kplus.EnvValue.fromValue('24h'),
        },
        securityContext: { user: 1000, group: 1000, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
        resources: {
          cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(4) },
          memory: { request: Size.gibibytes(4), limit: Size.gibibytes(16) },
        },
        readiness: kplus.Probe.fromHttpGet('/', { port: 11434 }),
        liveness: kplus.Probe.fromHttpGet('/', { port: 11434, periodSeconds: Duration.seconds(30) }),
        volumeMounts: [
          { path: '/models', volume: kplus.Volume.fromPersistentVolumeClaim(chart, 'models-volume', models) },
          { path: '/tmp', volume: kplus.Volume.fromEmptyDir(chart, 'tmp', 'tmp') },
        ],
      },
    ],
  });

  requestGpu(ollama, { count: 1 });

  ollama.exposeViaService({ name: 'ollama', ports: [{ port: 11434 }] });
  return chart;
}

if (require.main === module) {
  const app = new App({ outdir: 'dist-examples' });
  gpuWorkloadChart(app);
  app.synth();
}
