import { z } from 'zod';
import { duration, resources, storage, withDefault } from '../../config/fields';
import { ALERTMANAGER_DEFAULTS } from './alertmanager';

export const alertmanagerConfig = z
  .strictObject({
    storage: storage(ALERTMANAGER_DEFAULTS.storageSize, "Alertmanager's volume for silences and the notification log."),
    retention: withDefault(
      duration(ALERTMANAGER_DEFAULTS.retention),
      ALERTMANAGER_DEFAULTS.retention,
      'How long silences and notification-log entries are kept (--data.retention).',
    ),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('The Alertmanager deployed with engine "prometheus".');

export type AlertmanagerConfig = z.output<typeof alertmanagerConfig>;
