import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A PostgreSQL server for the store tests. MESHCAP_TEST_POSTGRES_URL names one to use; otherwise,
 * as root, Debian's cluster is started when it is down (created when there is none) and a test role
 * is made. Each caller gets a fresh database, dropped by `drop()`.
 * Without root or PostgreSQL the tests skip with the reason; under CI they fail instead.
 */
export type TestPostgres = { ok: true; url: string; drop: () => Promise<void> } | { ok: false; reason: string };

const ROLE = 'meshcap_test';
const PASSWORD = 'meshcap_test';

function sh(file: string, args: string[], opts: { asPostgres?: boolean } = {}): string {
  const [cmd, argv] = opts.asPostgres ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts (or creates) Debian's cluster and the test role; returns the server's base URL. */
function ensureLocalServer(): { url?: string; reason?: string } {
  if (process.getuid?.() !== 0) return { reason: 'needs root to start Debian\'s PostgreSQL (or set MESHCAP_TEST_POSTGRES_URL)' };
  if (!hasCommand('pg_lsclusters')) return { reason: 'PostgreSQL is not installed (run scripts/setup.sh, or set MESHCAP_TEST_POSTGRES_URL)' };
  let clusters = sh('pg_lsclusters', ['-h']).trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/));
  if (clusters.length === 0) {
    const versions = sh('ls', ['/usr/lib/postgresql']).trim().split('\n').filter(Boolean).sort((a, b) => Number(b) - Number(a));
    if (!versions[0]) return { reason: 'no PostgreSQL server version found under /usr/lib/postgresql' };
    sh('pg_createcluster', [versions[0], 'main']);
    clusters = sh('pg_lsclusters', ['-h']).trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/));
  }
  const [version, name, port, status] = clusters[0] ?? [];
  if (!version || !name || !port) return { reason: 'cannot read pg_lsclusters output' };
  if (status !== 'online') sh('pg_ctlcluster', [version, name, 'start']);
  const exists = sh('psql', ['-p', port, '-tAc', `SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}'`], { asPostgres: true }).trim();
  if (exists !== '1') sh('psql', ['-p', port, '-c', `CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${PASSWORD}'`], { asPostgres: true });
  return { url: `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${port}/postgres` };
}

export async function testPostgres(): Promise<TestPostgres> {
  let base = process.env.MESHCAP_TEST_POSTGRES_URL;
  if (!base) {
    let found: { url?: string; reason?: string };
    try {
      found = ensureLocalServer();
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      found = { reason: `starting PostgreSQL failed: ${(e.stderr || e.message).trim().split('\n')[0]}` };
    }
    if (!found.url) return { ok: false, reason: found.reason ?? 'no PostgreSQL' };
    base = found.url;
  }
  const dbName = `meshcap_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
  } catch (err) {
    await admin.end().catch(() => undefined);
    return { ok: false, reason: `cannot create a test database on ${base.replace(/:[^:@/]*@/, ':***@')}: ${(err as Error).message}` };
  }
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  return {
    ok: true,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    },
  };
}
