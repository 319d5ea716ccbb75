import type { FlowRecord } from '@meshcap/core';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, BACKEND_INBOUND, cpDir, curl, dataplaneYaml, eventually, meshHosts, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

/**
 * Identity that cannot be spoofed: `meshcap cp` with STRICT mTLS (builtin CA), `web` and `backend`
 * dataplanes in their namespaces (transparent proxy), and a non-mesh namespace `intruder` that
 * takes web's address as an extra address and wins the route to it. MeshTrafficPermission lets
 * only `web` in: the real dataplane passes with its certificate; the intruder, sending from web's
 * address, is refused at the handshake. With mTLS off, the same spoof passes (the test can fail).
 */

const WEB = '198.18.10.1';
const BACKEND = '198.18.10.2';
const INTRUDER_LINK = '198.18.11.1';
const BACKEND_LINK = '198.18.11.2';

const where = cpDir('meshcap-mtls-netns-');

const mesh = (mtls: boolean): string => `type: Mesh
name: default
${mtls ? 'mtls:\n  enabledBackend: ca-1\n  backends:\n    - { name: ca-1, type: builtin, mode: STRICT }\n' : ''}`;


const PERMISSION = `type: MeshTrafficPermission
name: only-web
mesh: default
spec:
  targetRef: { kind: MeshService, name: backend }
  from:
    - { targetRef: { kind: MeshService, name: web }, default: { action: Allow } }
`;

describeNetns('mTLS STRICT: a spoofed source address is not an identity', () => {
  let lab: Lab;
  let web: Host;
  let backend: Host;
  let intruder: Host;
  let cp: Cp;
  const dps: HostProcess[] = [];

  const backendFlows = async (): Promise<FlowRecord[]> => (await api<{ items: FlowRecord[] }>(cp, '/api/flows?dataplane=backend&limit=200')).items;
  const apply = (yaml: string) => api(cp, '/api/resources', { method: 'POST', body: yaml, type: 'application/yaml' });

  beforeAll(async () => {
    cp = await startCp(where);
    lab = Lab.create('mtls-spoof');
    web = await lab.host('web');
    backend = await lab.host('backend');
    intruder = await lab.host('intruder');
    await lab.link(web, backend, { a: [`${WEB}/24`], b: [`${BACKEND}/24`] });
    await lab.link(intruder, backend, { a: [`${INTRUDER_LINK}/24`], b: [`${BACKEND_LINK}/24`] });
    await meshHosts([web, backend], backend, 5000);
    await apply([mesh(true), PERMISSION].join('---\n'));
    const files = {
      web: dataplaneYaml('web', WEB, `  inbound:\n    - port: 7000\n      tags: { kuma.io/service: web }\n  outbound:\n    - { port: 5000, address: ${BACKEND}, tags: { kuma.io/service: backend } }\n`),
      backend: dataplaneYaml('backend', BACKEND, BACKEND_INBOUND),
    };
    dps.push(...(await startDataplanes(cp, where, [{ name: 'web', host: web, yaml: files.web }, { name: 'backend', host: backend, yaml: files.backend }])));
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    await stopCp(cp);
    rmSync(where.dir, { recursive: true, force: true });
  });

  it('the real dataplane passes, with its verified SPIFFE identity', async () => {
    // The dataplanes start from their Dataplane files; mTLS is in force once their certificates arrived over SDS.
    const f = await eventually(async () => {
      expect(await curl(web, `http://${BACKEND}:5000/`)).toBe('200');
      return (await backendFlows()).find((x) => x.direction === 'inbound' && x.client.address === WEB && x.verdict === 'forwarded' && x.tls !== undefined);
    }, 'web → backend over mTLS');
    expect(f.tls).toMatchObject({ mode: 'mtls', verified: true });
    expect(f.tls?.peer).toContain('spiffe://default/web');
  });

  it("a non-mesh namespace sending from web's address is refused at the handshake, as a denied flow", async () => {
    // The intruder holds web's address and the backend's route to it: from the wire it is web.
    await intruder.sh(`ip addr add ${WEB}/32 dev $(ip -o link show | awk -F': ' '$2 !~ /^lo/ {print $2; exit}' | cut -d@ -f1) && ip route add ${BACKEND}/32 via ${BACKEND_LINK}`);
    await backend.sh(`ip route add ${WEB}/32 via ${INTRUDER_LINK}`);
    expect(await curl(intruder, `http://${BACKEND}:5000/`, ['--interface', WEB])).toBe('000');
    const f = await eventually(async () => (await backendFlows()).find((x) => x.direction === 'inbound' && x.client.address === WEB && x.verdict === 'denied'), 'the refused flow');
    expect(f.reason).toMatch(/^tls_handshake_failed/);
  });

  it('with mTLS off the same spoof passes as web (address identity): what mTLS prevents', async () => {
    const since = Date.now();
    await apply(mesh(false));
    await eventually(async () => ((await curl(intruder, `http://${BACKEND}:5000/`, ['--interface', WEB])) === '200' ? true : undefined), 'the spoof let in without mTLS');
    const f = await eventually(async () => (await backendFlows()).find((x) => x.direction === 'inbound' && x.client.address === WEB && x.verdict === 'forwarded' && x.tls === undefined && x.start >= since), 'the spoofed flow');
    expect(f.policies).toContainEqual(expect.objectContaining({ type: 'MeshTrafficPermission', name: 'only-web' }));
  });
});
