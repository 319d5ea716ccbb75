/**
 * The one registry of meshcap's coded errors. Every error a user can see carries one of these codes,
 * a message that names what is wrong and where, and (for input errors) the field path and line.
 * `status` is the HTTP status the API answers with.
 */
export const errorRegistry = {
  MESHCAP_ERR_YAML_SYNTAX: { status: 400, summary: 'the document is not valid YAML or JSON' },
  MESHCAP_ERR_INVALID_RESOURCE: { status: 400, summary: 'a resource failed validation' },
  MESHCAP_ERR_UNKNOWN_KIND: { status: 400, summary: 'the resource type is not one meshcap knows' },
  MESHCAP_ERR_NOT_FOUND: { status: 404, summary: 'no such resource' },
  MESHCAP_ERR_CONFLICT: { status: 409, summary: 'the change conflicts with what is stored' },
  MESHCAP_ERR_INVALID_ARGUMENT: { status: 400, summary: 'an argument or flag has a bad value' },
  MESHCAP_ERR_UNAUTHORIZED: { status: 401, summary: 'a valid token is required' },
  MESHCAP_ERR_FORBIDDEN: { status: 403, summary: 'the token does not allow this' },
  MESHCAP_ERR_PERMISSION: { status: 500, summary: 'the operation needs privileges this process lacks (root, CAP_NET_ADMIN)' },
  MESHCAP_ERR_COMMAND_FAILED: { status: 500, summary: 'a system command (iptables, nft, ip) failed' },
  MESHCAP_ERR_INTERNAL: { status: 500, summary: 'an unexpected internal error' },
  MESHCAP_ERR_LISTEN: { status: 500, summary: 'the dataplane could not listen on an address (in use, not local, or not permitted)' },
  MESHCAP_ERR_WORKER: { status: 500, summary: 'an engine worker thread of the dataplane (dp --workers) did not start, did not apply a config, or died' },
  MESHCAP_ERR_INVALID_REQUEST: { status: 400, summary: 'a request parameter, query or body field is missing or has a bad value' },
  MESHCAP_ERR_PAYLOAD_TOO_LARGE: { status: 413, summary: 'the request body is larger than the limit' },
  MESHCAP_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the request body has a content type this route does not take' },
  MESHCAP_ERR_CROSS_ORIGIN: { status: 403, summary: 'the request came from another origin or host; the API is same-origin only' },
  MESHCAP_ERR_DATAPLANE_UNAVAILABLE: { status: 503, summary: 'the dataplane is not connected to the control plane' },
  MESHCAP_ERR_DATAPLANE_TIMEOUT: { status: 504, summary: 'the dataplane did not answer in time' },
  MESHCAP_ERR_STORE: { status: 500, summary: 'the store (SQLite or PostgreSQL) failed' },
  MESHCAP_ERR_REPLICA_UNREACHABLE: { status: 503, summary: 'the control plane replica that holds the dataplane (or may hold the flow asked for) did not answer (it died, or its API is not reachable from this replica); retry' },
  MESHCAP_ERR_CONTROL_PLANE_UNREACHABLE: { status: 503, summary: 'the control plane did not answer (not running, or another address)' },
  MESHCAP_ERR_TOO_MANY_STREAMS: { status: 503, summary: 'as many live streams are open as the control plane serves; close one or retry later' },
  MESHCAP_ERR_NO_ROUTE: { status: 400, summary: 'the kernel has no route to the destination, so there is no source address to default to (pass --src)' },
  MESHCAP_ERR_RULESET_SYNTAX: { status: 400, summary: 'a rule set text (iptables-save output, nft JSON) could not be read' },
  MESHCAP_ERR_TOO_MANY_AUTH_FAILURES: { status: 429, summary: 'too many requests with a missing or wrong token came from this client; wait before retrying' },
  MESHCAP_ERR_TOKEN_EXPIRED: { status: 401, summary: 'the token is past its expiry (issue a new one)' },
  MESHCAP_ERR_STORE_FULL: { status: 507, summary: 'the store\'s disk is full; nothing was changed (free space, the control plane keeps serving)' },
  MESHCAP_ERR_STORE_UNAVAILABLE: { status: 503, summary: 'the store (PostgreSQL) is not reachable; the control plane keeps serving what it holds and retries' },
} as const satisfies Record<`MESHCAP_ERR_${string}`, { status: number; summary: string }>;

export type MeshcapErrorCode = keyof typeof errorRegistry;

/** Where in the input an error is: a field path like `spec.from[0].default.abort.percentage`, and the line in the source. */
export interface ErrorLocation {
  path?: string;
  line?: number;
  column?: number;
  /** File name or other origin of the input. */
  source?: string;
  /** Index of the document in a multi-document input. */
  document?: number;
}

export interface ErrorIssue extends ErrorLocation {
  message: string;
}

export class MeshcapError extends Error {
  override name = 'MeshcapError';
  readonly status: number;

  constructor(
    readonly code: MeshcapErrorCode,
    message: string,
    /** Individual problems, each with its location, when the input had several. */
    readonly issues: ErrorIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = errorRegistry[code].status;
  }

  toJSON(): { code: MeshcapErrorCode; message: string; issues: ErrorIssue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}

export function isMeshcapError(err: unknown): err is MeshcapError {
  return err instanceof MeshcapError;
}

/** `spec.from[0].default` from a path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** One line per issue: `source:line:column: path: message`. */
export function formatIssue(issue: ErrorIssue): string {
  const where = [issue.source, issue.line, issue.column].filter((p) => p !== undefined).join(':');
  const path = issue.path ? `${issue.path}: ` : '';
  return `${where ? `${where}: ` : ''}${path}${issue.message}`;
}
