import * as fs from 'fs';
import { configJsonSchemaText } from '../src/config/json-schema';

fs.writeFileSync('config/stack-config.schema.json', configJsonSchemaText());
console.log('wrote config/stack-config.schema.json');
