import { z } from 'zod';
import { dnsLabel, resources, secretKeyRef, storage, withDefault } from '../../config/fields';
import { GRAFANA_DEFAULTS } from './grafana';

export const grafanaConfig = z
  .strictObject({
    adminCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe(
          'Existing Secret holding the admin user and password. Never created by the stack, so no password is ever in dist/.',
        ),
        userKey: withDefault(secretKeyRef, 'admin-user', 'Key of the admin user name in the Secret.'),
        passwordKey: withDefault(secretKeyRef, 'admin-password', 'Key of the admin password in the Secret.'),
      })
      .optional()
      .describe(
        'Where Grafana reads its admin credentials. Required: there is no default password (with metrics.backend ' +
          '"prometheus-operator", which runs no Grafana of its own, it is refused instead).',
      ),
    anonymousViewer: withDefault(
      z.boolean(),
      GRAFANA_DEFAULTS.anonymousViewer,
      'Let anonymous visitors view dashboards without a login, with the Viewer role only (they never edit).',
    ),
    ingressNamespaces: z
      .array(dnsLabel('a namespace name'))
      .min(1, { error: 'expected at least one namespace; omit the field to admit every namespace' })
      .optional()
      .describe(
        "Namespaces whose pods may open Grafana's port, such as your ingress controller's (its NetworkPolicy admits these " +
          'and the stack\'s own clients only). A host-network ingress controller comes from node addresses, which no namespace ' +
          'names: leave this unset for it. Default: every namespace, on Grafana\'s port only.',
      ),
    storage: storage(GRAFANA_DEFAULTS.storageSize, "Grafana's database volume (annotations, users, alert state)."),
    resources: resources.optional(),
    ingress: z
      .strictObject({
        host: z
          .string()
          .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
            error: 'expected a host name like "grafana.example.com" (lower-case, no scheme, port or path)',
          })
          .describe('The host name users open.'),
        className: z
          .string()
          .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, { error: 'expected an IngressClass name, like "nginx"' })
          .optional()
          .describe("The IngressClass. Default: the cluster's default IngressClass."),
        tlsSecretName: dnsLabel('the name of an existing Secret')
          .optional()
          .describe('Existing TLS Secret for the host, in namespaces.monitoring; HTTPS when set (GF_SERVER_ROOT_URL follows). Default: HTTP.'),
        annotations: z
          .record(z.string(), z.string())
          .optional()
          .describe('Annotations for your ingress controller or cert-manager. Default: none.'),
      })
      .optional()
      .describe(
        'An Ingress to Grafana, so users reach it from outside the cluster; Grafana\'s public URL is set from it. Restrict who may ' +
          "open Grafana's port with ingressNamespaces (your controller's namespace). Default: none (port-forward).",
      ),
    dashboards: z
      .array(
        z.strictObject({
          file: z
            .string()
            .regex(/^[^\0]+\.json$/, { error: 'expected the path of a Grafana dashboard JSON file, like "dashboards/orders.json"' })
            .describe('Path of the JSON model (as Grafana exports it), relative to this config file.'),
        }),
      )
      .default([])
      .describe(
        'Your own dashboards, provisioned beside the built-in ones and checked like them at synth: a stable uid, unique ' +
          'panel ids, panels inside the grid, every panel and target on a datasource Grafana will have, and the deploy ' +
          'annotation. Default: none.',
      ),
    datasources: z
      .array(
        z.strictObject({
          name: z.string().min(1, { error: 'expected a datasource name' }).describe('The name Grafana shows.'),
          type: z
            .string()
            .regex(/^[a-z0-9][-a-z0-9]*$/, { error: 'expected a Grafana datasource plugin id, like "prometheus" or "grafana-postgresql-datasource"' })
            .describe('The datasource plugin id.'),
          uid: z
            .string()
            .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: 'expected a stable uid: 1-40 lower-case letters, digits and "-"' })
            .describe("Stable uid, what your dashboards' panels refer to."),
          url: z.string().regex(/^\S+$/, { error: 'expected a URL or host:port without spaces' }).describe('Where Grafana connects.'),
          user: z.string().min(1).optional().describe('Login user, for SQL datasources.'),
          jsonData: z.record(z.string(), z.unknown()).optional().describe("The plugin's settings, as in Grafana's provisioning files."),
          secureJsonData: z
            .record(
              z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: 'expected a secureJsonData field name, like "password"' }),
              z.strictObject({ secretName: dnsLabel('the name of an existing Secret'), key: secretKeyRef }),
            )
            .optional()
            .describe(
              'Secret fields (password, basicAuthPassword, ...), each from an existing Secret in namespaces.monitoring, by ' +
                "name and key: Grafana reads them from its environment, so no secret is ever in dist/.",
            ),
        }),
      )
      .default([])
      .describe(
        "Your own datasources, beside the stack's (their uids and names must differ from the built-in ones). The stack opens " +
          "no NetworkPolicy to them: if the target's namespace isolates ingress, admit Grafana's pods there. Default: none.",
      ),
  })
  .prefault({})
  .describe('Grafana, with provisioned datasources and dashboards.');

export type GrafanaConfig = z.output<typeof grafanaConfig>;
