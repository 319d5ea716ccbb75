export { loadAdminToken, findAdminToken, adminTokenPath, type AdminToken, type AdminTokenSource } from './admin-token.ts';
export { DataplaneTokens, type DataplaneIdentity } from './dataplane-tokens.ts';
export { bearerToken, secretsEqual } from './secrets.ts';
