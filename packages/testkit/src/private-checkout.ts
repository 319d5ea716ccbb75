import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateCheckout {
  /** The 0700 directory the clone sits in, as root's home is. */
  home: string;
  /** The clone: `<home>/meshcap`. */
  dir: string;
  remove(): void;
}

/**
 * A clone of `repo`'s HEAD in a fresh 0700 directory, as `git clone` into /root leaves it, with
 * what `npm install` and the build would have added beside it: every node_modules (hard links, so
 * it is cheap), the native addon's build and the given built folders (for example
 * `apps/web/.next`). Issue 20: the main job must work from a checkout only root can read.
 */
export function privateCheckout(repo: string, built: readonly string[] = []): PrivateCheckout {
  const home = mkdtempSync(join(tmpdir(), 'meshcap-home-'));
  chmodSync(home, 0o700);
  const dir = join(home, 'meshcap');
  const head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  execFileSync('git', ['clone', '--quiet', '--local', '--no-checkout', repo, dir]);
  execFileSync('git', ['-C', dir, 'checkout', '--quiet', head]);
  const modules = ['node_modules', ...['apps', 'packages'].flatMap((d) => readdirSync(join(repo, d)).map((p) => join(d, p, 'node_modules')))];
  for (const m of modules.filter((m) => existsSync(join(repo, m)))) execFileSync('cp', ['-al', join(repo, m), join(dir, m)]);
  for (const b of ['packages/native/build', ...built].filter((b) => existsSync(join(repo, b)))) execFileSync('cp', ['-a', join(repo, b), join(dir, b)]);
  return { home, dir, remove: () => rmSync(home, { recursive: true, force: true }) };
}
