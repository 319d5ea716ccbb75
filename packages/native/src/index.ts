import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The compiled addon (built by node-gyp on install). */
export const addon: Record<string, unknown> = require('../build/Release/meshcap_native.node');
