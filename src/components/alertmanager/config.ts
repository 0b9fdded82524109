import { z } from 'zod';
import { duration, resources, storage } from '../../config/fields';

export const alertmanagerConfig = z
  .strictObject({
    storage: storage('1Gi').describe("Alertmanager's volume for silences and the notification log. Default: 1Gi."),
    retention: duration('120h')
      .default('120h')
      .describe('How long silences and notification-log entries are kept (--data.retention). Default: 120h.'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('The Alertmanager deployed with engine "prometheus".');

export type AlertmanagerConfig = z.output<typeof alertmanagerConfig>;
