import { writeFileSync } from 'node:fs';
import { demoSchemaText } from '../test/helpers/schema.ts';

/** `npm run schema`: prints the demo deployment's schema to schema/schema.graphql. */
const text = await demoSchemaText();
writeFileSync(new URL('../schema/schema.graphql', import.meta.url), text);
process.stdout.write(`wrote schema/schema.graphql (${text.split('\n').length} lines)\n`);
process.exit(0);
