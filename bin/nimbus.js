#!/usr/bin/env node
// The `nimbus` command. Node 24 runs the TypeScript sources directly.
import '../scripts/require-node24.js';
import { main } from '../src/cli/main.ts';

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
