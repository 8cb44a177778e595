/** The reporter `tcpladder run` names to vitest: reporter.ts, loaded as one precompiled module (harness/bundle.ts importBundled). */
import { fileURLToPath } from 'node:url';
import { importBundled } from '../bundle.js';
import type TcpladderReporter from './reporter.js';

const { default: Reporter } = await importBundled<{ default: typeof TcpladderReporter }>(fileURLToPath(new URL('./reporter.ts', import.meta.url)), 'reporter');
export default Reporter;
