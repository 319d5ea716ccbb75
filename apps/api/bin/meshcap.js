#!/usr/bin/env node
// The meshcap command. Sources are TypeScript run through tsx's loader (internal JIT packages).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
