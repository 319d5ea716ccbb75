/** Element id of a policy's row on the policies page, for links from dataplane pages. */
export function policyAnchor(mesh: string, type: string, name: string): string {
  return `policy-${mesh}-${type}-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');
}
