// A browser build of an npm package, made from node_modules by esbuild the first time a page asks for it and kept
// in memory: the desktop's softphone library (JsSIP publishes CommonJS only, no browser file), never a copy of its
// code in this repository. One build per process; a failed build is retried on the next request.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const built = new Map<string, Promise<string>>();

/** The package's main module and its dependencies as one minified script that sets window[globalName]. */
export function browserBundle(pkg: string, globalName: string): Promise<string> {
  let p = built.get(pkg);
  if (!p) {
    p = (async () => {
      const { build } = await import('esbuild');
      const out = await build({
        entryPoints: [require.resolve(pkg)],
        bundle: true,
        format: 'iife',
        globalName,
        platform: 'browser',
        target: 'es2020',
        minify: true,
        legalComments: 'inline',
        write: false,
        logLevel: 'silent',
      });
      return out.outputFiles[0]!.text;
    })();
    built.set(pkg, p);
    p.catch(() => built.delete(pkg));
  }
  return p;
}
