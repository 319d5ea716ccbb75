import type { ConfigDump } from './api/types.ts';

/**
 * The file "Export JSON" saves: what the view shows (its resource and name filters applied), pretty
 * printed as Envoy's admin endpoint prints it, named after the dataplane and the version, with
 * `-filtered` when the filters left part of the dump out.
 */
export function configDumpExport(dump: ConfigDump, { dataplane, version, filtered }: { dataplane: string; version: string | undefined; filtered: boolean }): { fileName: string; text: string } {
  const safe = (s: string) => s.replace(/[^\w.-]+/g, '_');
  const fileName = `${safe(dataplane)}-config_dump${version ? `-${safe(version)}` : ''}${filtered ? '-filtered' : ''}.json`;
  return { fileName, text: `${JSON.stringify(dump, null, 2)}\n` };
}
