#!/usr/bin/env node
// The tcpladder command. The harness is TypeScript; tsx compiles it on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
