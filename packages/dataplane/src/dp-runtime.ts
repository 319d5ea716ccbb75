import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envoyProtosDescriptor, MeshcapError } from '@meshcap/core';

/**
 * The proxy-user child of a root `meshcap dp` must not depend on where the checkout lives: UID 5678
 * cannot read a checkout under /root (0700), nor run tsx from it. So, as root and before dropping
 * privileges, the dataplane entry point (dp-main.ts, `meshcap dp` only) is bundled with esbuild into
 * one ESM file and installed with the native addon into a root-owned, world-readable directory keyed
 * by the content hash:
 *
 *   <runtime root>/<sha256-12>/dist/dp.mjs
 *   <runtime root>/<sha256-12>/dist/envoy-protos.json   (Envoy's protos for the xDS codec, a protobufjs descriptor)
 *   <runtime root>/<sha256-12>/build/Release/meshcap_native.node
 *
 * (the addon's loader requires `../build/Release/meshcap_native.node` relative to the bundle, as it
 * does relative to packages/native/src). Written to a temp dir and renamed into place, so a present
 * directory is complete and is reused. The child runs `node <dir>/dist/dp.mjs`: no tsx, no checkout.
 */
export const DEFAULT_RUNTIME_ROOT = '/var/lib/meshcap/runtime';
/** Overrides the runtime root (as `--runtime-dir` does). */
export const RUNTIME_DIR_ENV = 'MESHCAP_RUNTIME_DIR';

export interface DpRuntime {
  dir: string;
  /** The bundled entry point the child runs. */
  entry: string;
  /** Envoy's protos as a protobufjs descriptor (the bundle has no node_modules to load .proto files from): ENVOY_PROTOS_JSON_ENV. */
  protos: string;
  /** True when the directory was already there. */
  reused: boolean;
}

const ENTRY = fileURLToPath(new URL('./dp-main.ts', import.meta.url));
/** This package's directory: the build step writes dist/ and build/ here. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Set in the bundle (esbuild's `define`): there, the runtime installed is this very file, as the sources are not at hand. */
declare const __MESHCAP_DP_BUNDLE__: boolean | undefined;
const RUNNING_BUNDLE = typeof __MESHCAP_DP_BUNDLE__ !== 'undefined';

function addonPath(): string {
  // @meshcap/native's entry is packages/native/src/index.ts; the addon is ../build/Release beside it.
  const entry = fileURLToPath(import.meta.resolve('@meshcap/native'));
  return path.join(path.dirname(entry), '..', 'build', 'Release', 'meshcap_native.node');
}

export interface DataplaneBundle {
  /** The one ESM file the proxy-user child runs. */
  code: Uint8Array;
  /** What went into it (esbuild's metafile inputs, paths relative to the working directory), with the bytes each adds. */
  inputs: Record<string, number>;
}

/**
 * Bundles dp-main.ts (platform node, target node20, ESM). Nothing is external but Node's builtins
 * and esbuild itself (only a root parent bundles; the child it starts never does). The output is
 * ASCII: V8 keeps a source with any other character as a two-byte string, which doubled the bundle's
 * resident size (7.2 MB for 3.8 MB of code); `charset` escapes strings and regexes, and minified
 * whitespace drops the comments it leaves as they are. Names stay, so stack traces keep them.
 */
export async function bundleDataplane(): Promise<DataplaneBundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    charset: 'ascii',
    define: { __MESHCAP_DP_BUNDLE__: 'true' },
    minifyWhitespace: true,
    external: ['esbuild'],
    write: false,
    metafile: true,
    outfile: 'dp.mjs',
    logLevel: 'silent',
    legalComments: 'none',
    // CommonJS dependencies (protobufjs, long) call require() for Node's builtins.
    banner: { js: "import { createRequire as __meshcapCreateRequire } from 'node:module';\nconst require = __meshcapCreateRequire(import.meta.url);" },
  });
  const out = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const meta = Object.values(result.metafile.outputs)[0];
  if (!out || !meta) throw new MeshcapError('MESHCAP_ERR_INTERNAL', 'esbuild produced no dataplane bundle');
  return { code: out.contents, inputs: Object.fromEntries(Object.entries(meta.inputs).map(([file, v]) => [file, v.bytesInOutput])) };
}

function readAddon(): Buffer {
  try {
    return readFileSync(addonPath());
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_INTERNAL', `@meshcap/native: the addon is not built (${addonPath()}: ${(err as NodeJS.ErrnoException).code}); run \`npm run install -w @meshcap/native\``);
  }
}

/** Where the build step leaves the compiled dataplane, and the list of files it was made of. */
export const BUILT_ENTRY = path.join(PACKAGE_DIR, 'dist', 'dp.mjs');
export const BUILT_INPUTS = path.join(PACKAGE_DIR, 'dist', 'inputs.json');
/** Beside the entry, in dist/ as in an installed runtime: Envoy's protos, so a bundled root parent need not load them itself to install its child. */
const PROTOS_FILE = 'envoy-protos.json';

/**
 * The build step (`npm run build`): the bundle into this package's dist/dp.mjs, a copy of the addon
 * where its loader looks from there (../build/Release), and dist/inputs.json, every file it was made
 * of, and Envoy's protos as the runtime has them. `meshcap dp` (apps/api/bin/meshcap.js) runs the
 * compiled file while none of the inputs is newer than it, with no TypeScript loader in the process,
 * and the sources through tsx otherwise.
 */
export async function buildDataplane(): Promise<string> {
  const { code, inputs } = await bundleDataplane();
  const addon = readAddon();
  const dist = path.dirname(BUILT_ENTRY);
  mkdirSync(dist, { recursive: true });
  mkdirSync(path.join(PACKAGE_DIR, 'build', 'Release'), { recursive: true });
  // Each file written aside and renamed into place: a `meshcap dp` starting meanwhile sees the old one or the new one.
  const put = (file: string, bytes: string | Uint8Array): void => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  };
  put(path.join(PACKAGE_DIR, 'build', 'Release', 'meshcap_native.node'), addon);
  put(path.join(dist, PROTOS_FILE), await envoyProtosDescriptor());
  put(BUILT_INPUTS, `${JSON.stringify(Object.keys(inputs).map((f) => path.resolve(f)), null, 1)}\n`);
  // Last: its modification time is the build's.
  put(BUILT_ENTRY, code);
  return BUILT_ENTRY;
}

/** `dir` and every ancestor must be searchable by others (o+x), or the proxy user cannot reach what is inside. */
function checkReachable(target: string, what: string, hint: string, from = path.dirname(target)): void {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new MeshcapError('MESHCAP_ERR_PERMISSION', `the proxy user cannot reach ${what} ${target}: ${dir} is mode ${(mode & 0o777).toString(8)} (not searchable by others); ${hint}`);
    }
    if (dir === path.dirname(dir)) return;
  }
}

function mkdirReadable(dir: string): void {
  if (existsSync(dir)) return;
  mkdirReadable(path.dirname(dir));
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
}

/**
 * Installs (or finds) the dataplane runtime under `root`. Fails with MESHCAP_ERR_PERMISSION, before
 * anything starts, when it cannot be created or the proxy user could not read it or run `node`.
 */
export async function installDpRuntime(root = process.env[RUNTIME_DIR_ENV] || DEFAULT_RUNTIME_ROOT, node = process.execPath): Promise<DpRuntime> {
  root = path.resolve(root);
  const hint = `pass --runtime-dir (or ${RUNTIME_DIR_ENV}) a directory root can create whose parents are mode 0755`;
  checkReachable(node, 'node', 'install Node.js system-wide (e.g. /usr/bin/node) and run meshcap dp with it');
  const addon = readAddon();
  const bundle = RUNNING_BUNDLE ? readFileSync(fileURLToPath(import.meta.url)) : (await bundleDataplane()).code;
  const protosJson = RUNNING_BUNDLE ? readFileSync(fileURLToPath(new URL(`./${PROTOS_FILE}`, import.meta.url))) : await envoyProtosDescriptor();
  const hash = createHash('sha256').update(bundle).update(addon).update(protosJson).digest('hex').slice(0, 12);
  const dir = path.join(root, hash);
  const entry = path.join(dir, 'dist', 'dp.mjs');
  const protos = path.join(dir, 'dist', PROTOS_FILE);
  try {
    mkdirReadable(root);
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_PERMISSION', `cannot create the dataplane runtime directory ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ${hint}`);
  }
  checkReachable(entry, 'the dataplane runtime', hint, root);
  if (existsSync(entry)) return { dir, entry, protos, reused: true };
  const tmp = path.join(root, `.tmp-${hash}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const d of [tmp, path.join(tmp, 'dist'), path.join(tmp, 'build'), path.join(tmp, 'build', 'Release')]) {
      mkdirSync(d, { mode: 0o755 });
      chmodSync(d, 0o755);
    }
    for (const [file, bytes] of [
      [path.join(tmp, 'dist', 'dp.mjs'), bundle],
      [path.join(tmp, 'dist', PROTOS_FILE), protosJson],
      [path.join(tmp, 'build', 'Release', 'meshcap_native.node'), addon],
    ] as const) {
      writeFileSync(file, bytes, { mode: 0o644 });
      chmodSync(file, 0o644);
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another meshcap dp installed the same content first: use it.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(entry)) throw err;
      rmSync(tmp, { recursive: true, force: true });
      return { dir, entry, protos, reused: true };
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (err instanceof MeshcapError) throw err;
    throw new MeshcapError('MESHCAP_ERR_PERMISSION', `cannot install the dataplane runtime into ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ${hint}`);
  }
  return { dir, entry, protos, reused: false };
}
