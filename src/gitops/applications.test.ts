import { App, Testing } from 'cdk8s';
import { EnvironmentApplications, EnvironmentApplicationsProps } from './applications';

const props: EnvironmentApplicationsProps = {
  environment: 'qa',
  repoURL: 'https://git.example.com/org/repo',
  targetRevision: 'main',
  project: 'default',
  destinationServer: 'https://kubernetes.default.svc',
  argocdNamespace: 'argocd',
  defaultNamespace: 'monitoring-qa',
  manifestsPath: 'dist/qa',
  syncPolicy: { automated: true, prune: true, selfHeal: true, retryLimit: 5 },
};

function synth(p: EnvironmentApplicationsProps) {
  const app = Testing.app();
  new EnvironmentApplications(app, 'argocd', p);
  return Object.fromEntries(app.charts.map((c) => [c.node.id, Testing.synth(c)]));
}

describe('EnvironmentApplications', () => {
  test('GIVEN an environment WHEN synthesized THEN a root file and an applications file (snapshot for reviewers)', () => {
    expect(synth(props)).toMatchSnapshot();
  });

  test('the environment Application reads only the top-level *.k8s.yaml of dist/<env>', () => {
    const [child] = synth(props).applications;
    expect(child.metadata.name).toBe('observability-platform-qa');
    expect(child.spec.source).toStrictEqual({
      repoURL: props.repoURL,
      targetRevision: 'main',
      path: 'dist/qa',
      directory: { include: '*.k8s.yaml', recurse: false },
    });
    expect(child.spec.syncPolicy.syncOptions).toStrictEqual(['PruneLast=true']);
  });

  test('the root reads only the applications file beside it, never its own file', () => {
    const [root] = synth(props).root;
    expect(root.metadata.name).toBe('observability-platform-qa-root');
    expect(root.spec.source.path).toBe('dist/qa/argocd');
    expect(root.spec.source.directory).toStrictEqual({ include: 'applications.k8s.yaml', recurse: false });
  });

  test('GIVEN automated sync is off THEN no automated policy (prune and selfHeal only apply to it), retries stay', () => {
    const [child] = synth({ ...props, syncPolicy: { automated: false, prune: true, selfHeal: true, retryLimit: 2 } }).applications;
    expect(child.spec.syncPolicy.automated).toBeUndefined();
    expect(child.spec.syncPolicy.retry.limit).toBe(2);
  });

  test('fails if manifestsPath is absolute', () => {
    expect(() => new EnvironmentApplications(new App(), 'argocd', { ...props, manifestsPath: '/dist/qa' })).toThrow(
      'manifestsPath must be relative to the repository root without a trailing "/", got "/dist/qa"',
    );
  });
});
