/**
 * A program of the harness (the capture sidecar, the guest agent, the guest pool) as one
 * precompiled ES module, so that it starts in a fraction of the time tsx needs to load
 * and transform its sources (inside a User-Mode Linux guest, seconds). Built with
 * esbuild (tsx's own transformer) into node_modules/.cache/tcpladder/ and built again
 * when any source it was made from changed (mtime or size); the native packages `cap`
 * and `koffi` stay external and load from node_modules as before. Null (run it through
 * tsx instead) when esbuild is missing or the cache is not writable.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync, renameSync, rmSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/** Raise when the way the bundle is built changes: older bundles are then made again. */
const BUNDLE_FORMAT = 4;

/** The nearest folder at or above `from` with a package.json: the project's root; null when there is none. */
export function projectRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * `import.meta.url` in a project source stays that source's URL, not the bundle's: the
 * harness finds files next to its sources (package.json, the agent, cases/profiles/).
 */
// spelled out so that sourceUrls() leaves this file's own text alone when it is bundled
const META_URL = ['import', 'meta', 'url'].join('.');

function sourceUrls(root: string): Plugin {
  return {
    name: 'tcpladder-source-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(root) || args.path.includes('/node_modules/')) return undefined;
        const code = readFileSync(args.path, 'utf8').replaceAll(META_URL, JSON.stringify(pathToFileURL(args.path).href));
        return { contents: code, loader: 'ts' };
      });
    },
  };
}

let building = 0;


/** The bundle of `script` (an entry point under harness/), named `<name>-<hash>.mjs`. */
export async function bundleOf(script: string, name: string): Promise<string | null> {
  try {
    const root = projectRoot(dirname(script));
    if (!root) return null;
    const cache = join(root, 'node_modules', '.cache', 'tcpladder');
    // one manifest per source tree: trees sharing node_modules (a snapshot with a symlink) do not rebuild each other's
    const manifest = join(cache, `${name}-${createHash('sha256').update(script).digest('hex').slice(0, 8)}.json`);
    const signature = (inputs: string[]) =>
      inputs.map((f) => {
        const st = statSync(join(root, f));
        return `${f}:${st.mtimeMs}:${st.size}`;
      });
    try {
      const m = JSON.parse(readFileSync(manifest, 'utf8')) as { format: number; entry: string; inputs: string[]; signature: string[]; bundle: string };
      if (m.format === BUNDLE_FORMAT && m.entry === script && signature(m.inputs).join('\n') === m.signature.join('\n') && existsSync(m.bundle)) return m.bundle;
    } catch {
      // no manifest yet, or a source is gone: build
    }
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    mkdirSync(cache, { recursive: true });
    const tmp = join(cache, `${name}-${process.pid}-${Date.now()}.tmp.mjs`);
    building++;
    let result: import('esbuild').BuildResult<{ metafile: true }>;
    try {
      result = await esbuild.build({
        entryPoints: [script],
        absWorkingDir: root,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // the native modules load from node_modules as before; zod and the rest go in the bundle
        // (loading zod's ~90 files one by one cost ~30 ms at every start)
        // vitest too: a case bundle's tests must register with the worker's own vitest
        external: ['cap', 'koffi', 'vitest'],
        // CommonJS packages in the bundle require Node's own modules
        banner: { js: `import { createRequire as __tcpladderRequire } from 'node:module'; const require = __tcpladderRequire(${META_URL});` },
        sourcemap: 'linked',
        outfile: tmp,
        plugins: [sourceUrls(root)],
        metafile: true,
        logLevel: 'silent',
      });
    } finally {
      // the asynchronous API keeps an esbuild process running: none is left beside the run's own
      if (--building === 0) void esbuild.stop();
    }
    const inputs = Object.keys(result.metafile!.inputs);
    const sig = signature(inputs);
    const hash = createHash('sha256').update(`${BUNDLE_FORMAT}\n${sig.join('\n')}`).digest('hex').slice(0, 16);
    const bundle = join(cache, `${name}-${hash}.mjs`);
    // the source map keeps its name: the bundle's last line points at it
    const code = readFileSync(tmp, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${name}-${hash}.mjs.map\n`);
    writeFileSync(`${bundle}.${process.pid}.tmp`, code);
    renameSync(`${tmp}.map`, `${bundle}.map`);
    renameSync(`${bundle}.${process.pid}.tmp`, bundle);
    rmSync(tmp, { force: true });
    const mtmp = `${manifest}.${process.pid}.tmp`;
    writeFileSync(mtmp, JSON.stringify({ format: BUNDLE_FORMAT, entry: script, inputs, signature: sig, bundle }));
    renameSync(mtmp, manifest);
    // earlier builds, once nothing can still be starting from them
    for (const f of readdirSync(cache)) {
      const path = join(cache, f);
      if (f.startsWith(`${name}-`) && !path.startsWith(bundle) && !f.endsWith('.json') && Date.now() - statSync(path).mtimeMs > 600_000) rmSync(path, { force: true });
    }
    return bundle;
  } catch {
    return null;
  }
}

/**
 * `script`'s exports, loaded from its bundle by Node itself, else from the source. In
 * vitest's main process this keeps the harness out of vite's module runner, which holds
 * every module it transformed for the rest of the run (docs/PERFORMANCE.md, Peak memory).
 */
export async function importBundled<T>(script: string, name: string): Promise<T> {
  const bundle = await bundleOf(script, name);
  return (await import(/* @vite-ignore */ bundle ?? script)) as T;
}

/** `node` arguments that run the program `script`: its bundle, else its source through tsx. */
export async function programArgs(script: string, name: string, bundled = true): Promise<Program> {
  const bundle = bundled ? await bundleOf(script, name) : null;
  return { args: bundle ? ['--enable-source-maps', bundle] : ['--import', createRequire(import.meta.url).resolve('tsx'), script], bundle };
}

/** What `node` runs for a program: its arguments, and the bundle among them (null: tsx runs the source). */
export interface Program {
  args: string[];
  bundle: string | null;
}
