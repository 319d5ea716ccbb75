export { loadAdminToken, findAdminToken, adminTokenPath, type AdminToken, type AdminTokenSource } from './admin-token.ts';
export { DataplaneTokens, DATAPLANE_TOKEN_VALIDITY_MS, isExpired, type DataplaneIdentity } from './dataplane-tokens.ts';
export { AdminTokens, ADMIN_TOKEN_VALIDITY_MS } from './admin-tokens.ts';
export { bearerToken, secretsEqual } from './secrets.ts';
export { AuthFailureLimiter, type AuthFailureLimits } from './auth-failures.ts';
