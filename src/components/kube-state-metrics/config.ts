import { z } from 'zod';
import { resources } from '../../config/fields';

export const kubeStateMetricsConfig = z
  .strictObject({ resources: resources.optional() })
  .prefault({})
  .describe('kube-state-metrics: the state of Kubernetes objects as metrics.');

export type KubeStateMetricsConfig = z.output<typeof kubeStateMetricsConfig>;
