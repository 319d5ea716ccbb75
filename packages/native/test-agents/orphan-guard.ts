// Test agent: a parent that starts a child which arms exitWithParent, reports both pids, and waits
// to be killed. `--as-proxy-user` starts the child through setpriv as UID 5678 with ambient
// capabilities, as `meshcap dp` does (the case where setpriv's own --pdeathsig does not hold).
import { spawn } from 'node:child_process';
import { emit } from './emit.ts';

if (process.argv[2] === 'child') {
  const { exitWithParent } = await import('../src/index.ts');
  exitWithParent('SIGKILL', Number(process.argv[3]));
  emit('armed', { pid: process.pid, uid: process.getuid?.() });
  setInterval(() => {}, 1_000);
} else {
  const self = new URL(import.meta.url).pathname;
  const node = [process.execPath, '--import', 'tsx', self, 'child', String(process.pid)];
  const proxyUser = ['setpriv', '--reuid', '5678', '--regid', '5678', '--clear-groups', '--inh-caps', '+net_admin', '--ambient-caps', '+net_admin'];
  const argv = process.argv.includes('--as-proxy-user') ? [...proxyUser, ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
  emit('parent', { pid: process.pid, child: child.pid });
  setInterval(() => {}, 1_000);
}
