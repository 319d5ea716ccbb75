import { isMap, parseAllDocuments } from 'yaml';

/**
 * The text of each resource in a YAML/JSON input, in the order `parseResources` returns them:
 * one per non-empty document, or one per element of a JSON array document. Stored beside the
 * validated resource so users get back what they wrote (comments included).
 * Call only on input `parseResources` accepted.
 */
export function resourceSources(text: string): Array<{ source: string; document: number }> {
  const out: Array<{ source: string; document: number }> = [];
  const docs = parseAllDocuments(text);
  for (const [document, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    if (doc.contents === null) continue;
    const js: unknown = doc.toJS();
    if (Array.isArray(js) && !isMap(doc.contents)) {
      for (const item of js) out.push({ source: `${JSON.stringify(item, null, 2)}\n`, document });
    } else {
      out.push({ source: doc.toString({ lineWidth: 0 }), document });
    }
  }
  return out;
}
