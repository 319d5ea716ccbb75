/**
 * Generates lib/api-types.ts from the control plane's OpenAPI document with openapi-typescript.
 * The document comes from apps/api/src/openapi-document.ts (the app built in a child process and
 * asked for `GET /openapi.json` with `inject()`; no server, nothing listening), so the dashboard
 * imports no API code. `npm run generate:api-types -w @meshcap/web` rewrites the file;
 * lib/api-types.test.ts fails when the checked-in file differs from what this produces.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiDir = join(webDir, '..', 'api');
export const API_TYPES_FILE = join(webDir, 'lib', 'api-types.ts');

export const HEADER = `/**
 * GENERATED from the control plane's OpenAPI document (apps/api's zod route schemas) by
 * openapi-typescript; do not edit. Regenerate after changing an API schema:
 *
 *   npm run generate:api-types -w @meshcap/web
 *
 * lib/api-types.test.ts fails while this file differs from the schemas.
 */

`;

/** The OpenAPI document as the control plane serves it at /openapi.json. */
export function openApiDocument(): OpenAPI3 {
  const json = execFileSync(process.execPath, ['--import', 'tsx', join('src', 'openapi-document.ts')], {
    cwd: apiDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(json) as OpenAPI3;
}

/**
 * The text of lib/api-types.ts for `doc`. Each schema is also exported under its own name
 * (`export type Listener = components['schemas']['Listener']`), so the features' api/types.ts
 * re-export the API's names rather than each writing that mapping again.
 */
export async function generateApiTypes(doc: OpenAPI3 = openApiDocument()): Promise<string> {
  const ast = await openapiTS(doc, { silent: true, rootTypes: true, rootTypesNoSchemaPrefix: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(API_TYPES_FILE, await generateApiTypes());
  console.log(`wrote ${API_TYPES_FILE}`);
}
