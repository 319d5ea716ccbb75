import { MeshcapError } from '@meshcap/core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomSecret } from './secrets.ts';

export interface AdminTokenSource {
  /** MESHCAP_TOKEN. */
  env?: string;
  /** --token-file. */
  file?: string;
  dataDir: string;
}

export interface AdminToken {
  token: string;
  /** Where it came from, for the start banner (never the token itself). */
  origin: 'env' | 'file' | 'data-dir';
  path?: string;
  /** True when this start created it: print it once. */
  created: boolean;
}

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

function readTokenFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${what}: the token in ${path} is shorter than 16 characters`);
  return token;
}

/**
 * The token mutating routes require: MESHCAP_TOKEN, else --token-file, else `<data-dir>/admin-token`,
 * created (mode 0600) on first start.
 */
export function loadAdminToken(src: AdminTokenSource): AdminToken {
  if (src.env !== undefined && src.env !== '') {
    if (src.env.trim().length < 16) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', 'MESHCAP_TOKEN is shorter than 16 characters');
    return { token: src.env.trim(), origin: 'env', created: false };
  }
  if (src.file) return { token: readTokenFile(src.file, '--token-file'), origin: 'file', path: src.file, created: false };
  const path = adminTokenPath(src.dataDir);
  if (existsSync(path)) return { token: readTokenFile(path, 'admin token'), origin: 'data-dir', path, created: false };
  mkdirSync(src.dataDir, { recursive: true, mode: 0o700 });
  const token = `mcadm_${randomSecret()}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, origin: 'data-dir', path, created: true };
}

/** For CLI verbs that call the API: the same sources, but never creating one. */
export function findAdminToken(src: AdminTokenSource): string | undefined {
  if (src.env) return src.env.trim();
  if (src.file) return readTokenFile(src.file, '--token-file');
  const path = adminTokenPath(src.dataDir);
  return existsSync(path) ? readTokenFile(path, 'admin token') : undefined;
}
