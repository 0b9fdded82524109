import { z } from 'zod';
import { StackConfigSchema } from './schema';

/**
 * The JSON Schema of the config, generated from the same zod definition the
 * loader validates with, so editors validate and autocomplete exactly what
 * synth accepts. Written to `config/stack-config.schema.json` by
 * `npm run schema`; a test fails when the committed file is stale.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(StackConfigSchema, { io: 'input', target: 'draft-7' }),
    $id: 'https://observability-platform/stack-config.schema.json',
    title: 'Observability platform stack config',
  };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
