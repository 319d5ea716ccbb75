import { isMap, isNode, LineCounter, parseAllDocuments, stringify, type Document } from 'yaml';
import type { z } from 'zod';
import { formatIssue, formatPath, MeshcapError, type ErrorIssue } from '../errors.ts';
import { resourceKind, resourceKinds } from './kinds.ts';

/** A validated resource in Kuma's universal format (`type`, `name`, `mesh`, then its fields). */
export interface Resource {
  type: string;
  name: string;
  mesh?: string;
  [field: string]: unknown;
}

export interface ParseOptions {
  /** File name or other origin, used in error messages. */
  source?: string;
}

const K8S_API_VERSION = /^kuma\.io\/v1alpha1$/;

/**
 * Kubernetes-format manifests (`apiVersion: kuma.io/v1alpha1`, `kind`, `metadata`, `spec`) become
 * universal ones; `toSourcePath` maps a universal field path back to where it was written.
 */
function normalize(raw: unknown): { value: unknown; toSourcePath: (path: PropertyKey[]) => PropertyKey[] } {
  const identity = { value: raw, toSourcePath: (p: PropertyKey[]) => p };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return identity;
  const obj = raw as Record<string, unknown>;
  if (typeof obj.apiVersion !== 'string' || !K8S_API_VERSION.test(obj.apiVersion) || typeof obj.kind !== 'string') return identity;
  const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
  const labels = (metadata.labels ?? {}) as Record<string, string>;
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const kind = resourceKind(obj.kind);
  // Dataplane and Mesh keep their fields under `spec` in Kubernetes; policies keep `spec` as is.
  const specIsBody = kind !== undefined && !kind.policy;
  const value: Record<string, unknown> = {
    type: obj.kind,
    name: metadata.name,
    ...(kind?.meshScoped !== false ? { mesh: labels['kuma.io/mesh'] ?? obj.mesh ?? 'default' } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(specIsBody ? spec : { spec: obj.spec }),
  };
  return {
    value,
    toSourcePath: (p) => {
      const [head, ...rest] = p;
      if (head === 'type') return ['kind'];
      if (head === 'name') return ['metadata', 'name'];
      if (head === 'mesh') return ['metadata', 'labels', 'kuma.io/mesh'];
      if (head === 'labels') return ['metadata', 'labels', ...rest];
      return specIsBody ? ['spec', ...p] : p;
    },
  };
}

/** The line/column of the deepest node on `path` that exists in the document. */
function locate(doc: Document, lines: LineCounter, path: PropertyKey[]): { line?: number; column?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return {};
}

function issuesFromZod(error: z.ZodError, base: ErrorIssue, sourcePath: (p: PropertyKey[]) => PropertyKey[], doc?: Document, lines?: LineCounter): ErrorIssue[] {
  return error.issues.map((issue) => {
    const written = sourcePath(issue.path as PropertyKey[]);
    const loc = doc && lines ? locate(doc, lines, written) : {};
    return { ...base, ...loc, path: formatPath(written), message: issue.message };
  });
}

/** `prefix`: where the resource sits in its document (an index, for a JSON array of resources). */
function validateOne(raw: unknown, base: ErrorIssue, doc?: Document, lines?: LineCounter, prefix: PropertyKey[] = []): Resource {
  const normalized = normalize(raw);
  const { value } = normalized;
  const toSourcePath = (p: PropertyKey[]) => [...prefix, ...normalized.toSourcePath(p)];
  const at = (path: PropertyKey[]) => ({ ...base, ...(doc && lines ? locate(doc, lines, toSourcePath(path)) : {}) });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', 'a resource must be an object with "type" and "name"', [{ ...at([]), message: 'expected an object' }]);
  }
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string') {
    const issue = { ...at(['type']), path: formatPath(toSourcePath(['type'])), message: 'missing "type" (or "kind")' };
    throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', formatIssue(issue), [issue]);
  }
  const kind = resourceKind(type);
  if (!kind) {
    const known = resourceKinds().map((k) => k.type).join(', ');
    const issue = { ...at(['type']), path: formatPath(toSourcePath(['type'])), message: `unknown resource type "${type}" (known: ${known})` };
    throw new MeshcapError('MESHCAP_ERR_UNKNOWN_KIND', formatIssue(issue), [issue]);
  }
  const result = kind.schema.safeParse(value);
  if (!result.success) {
    const issues = issuesFromZod(result.error, base, toSourcePath, doc, lines);
    throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `invalid ${type}: ${issues.map(formatIssue).join('; ')}`, issues);
  }
  return result.data as Resource;
}

/** Validates one already-parsed object (JSON body, say) as a resource. */
export function parseResourceObject(raw: unknown, opts: ParseOptions = {}): Resource {
  return validateOne(raw, { message: '', source: opts.source });
}

/**
 * Parses YAML or JSON text holding one or many resources (`---` separated, or a JSON array) and
 * validates each. All problems of all documents are reported together, each with its field path
 * and line; nothing is returned unless every document is valid.
 */
export function parseResources(text: string, opts: ParseOptions = {}): Resource[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const issues: ErrorIssue[] = [];
  for (const [i, doc] of list.entries()) {
    for (const e of doc.errors) {
      const { line, col } = lines.linePos(e.pos[0]);
      issues.push({ source: opts.source, document: i, line, column: col, message: e.message.split('\n')[0] ?? e.message });
    }
  }
  if (issues.length) throw new MeshcapError('MESHCAP_ERR_YAML_SYNTAX', `cannot parse: ${issues.map(formatIssue).join('; ')}`, issues);

  const out: Resource[] = [];
  for (const [i, doc] of list.entries()) {
    if (doc.contents === null) continue; // empty document, e.g. a trailing `---`
    let js: unknown;
    try {
      js = doc.toJS();
    } catch (err) {
      // The reader refuses alias bombs (more alias expansions than the document's size warrants) only here.
      const issue = { source: opts.source, document: i, message: (err as Error).message };
      throw new MeshcapError('MESHCAP_ERR_YAML_SYNTAX', `cannot parse: ${formatIssue(issue)}`, [issue]);
    }
    const items: Array<{ raw: unknown; prefix: PropertyKey[] }> =
      Array.isArray(js) && !isMap(doc.contents) ? js.map((raw, j) => ({ raw, prefix: [j] })) : [{ raw: js, prefix: [] }];
    for (const item of items) {
      try {
        out.push(validateOne(item.raw, { message: '', source: opts.source, document: i }, doc, lines, item.prefix));
      } catch (err) {
        if (!(err instanceof MeshcapError)) throw err;
        issues.push(...err.issues);
      }
    }
  }
  if (issues.length) {
    const unknownKind = issues.some((iss) => iss.message.startsWith('unknown resource type'));
    throw new MeshcapError(unknownKind ? 'MESHCAP_ERR_UNKNOWN_KIND' : 'MESHCAP_ERR_INVALID_RESOURCE', issues.map(formatIssue).join('; '), issues);
  }
  return out;
}

/** YAML in Kuma's universal format, `type` and `name` first. */
export function resourceToYaml(resource: Resource): string {
  return stringify(resource, { lineWidth: 0 });
}
