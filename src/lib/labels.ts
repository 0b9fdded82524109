import { ImageRef, imageVersion } from './images';

/** The value of `app.kubernetes.io/part-of` on everything the stack creates. */
export const PART_OF = 'observability-platform';

export interface ComponentIdentity {
  /** `app.kubernetes.io/name`, e.g. `prometheus`. */
  readonly name: string;
  /** `app.kubernetes.io/component`, e.g. `metrics-server`. */
  readonly component: string;
  /** The image whose tag becomes `app.kubernetes.io/version`. */
  readonly image?: ImageRef;
}

/**
 * Labels that select a component's pods. They never include the version,
 * because a selector is immutable and must survive upgrades.
 */
export function selectorLabels(id: ComponentIdentity): Record<string, string> {
  return {
    'app.kubernetes.io/name': id.name,
    'app.kubernetes.io/part-of': PART_OF,
  };
}

/** The recommended `app.kubernetes.io/*` labels for every object of a component. */
export function standardLabels(id: ComponentIdentity): Record<string, string> {
  return {
    ...selectorLabels(id),
    'app.kubernetes.io/component': id.component,
    ...(id.image ? { 'app.kubernetes.io/version': imageVersion(id.image) } : {}),
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/**
 * Everything a component's constructor needs to name and label its objects in `namespace`: the standard labels,
 * the pod selector and `metadata(name)` for a namespaced object.
 */
export function componentMeta(id: ComponentIdentity, namespace: string) {
  const labels = standardLabels(id);
  return { labels, selector: selectorLabels(id), metadata: (name: string) => ({ name, namespace, labels }) };
}
