import type { FlowRecord } from '@meshcap/core';
import { allowAllPermissionYaml } from '@meshcap/core/testing';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, BACKEND_INBOUND, cpDir, curl, transparentDataplaneYaml, eventually, flowsOf, meshHosts, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

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

/** The intruder's one link interface, in a shell script. */
const LINK_IF = "$(ip -o link show | awk -F': ' '$2 !~ /^lo/ {print $2; exit}' | cut -d@ -f1)";

const where = cpDir('meshcap-mtls-netns-');

/** The default Mesh: mTLS off, or on with a builtin CA in `mode` (and a dataplane certificate lifetime). */
const mesh = (mtls: boolean, mode: 'STRICT' | 'PERMISSIVE' = 'STRICT', dpCertExpiration?: string): string => `type: Mesh
name: default
${mtls ? `mtls:\n  enabledBackend: ca-1\n  backends:\n    - { name: ca-1, type: builtin, mode: ${mode}${dpCertExpiration ? `, dpCert: { rotation: { expiration: ${dpCertExpiration} } }` : ''} }\n` : ''}`;

const ALLOW_ALL = allowAllPermissionYaml({ name: 'only-web', service: 'backend' });


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

  const backendFlows = (): Promise<FlowRecord[]> => flowsOf(cp, 'backend', 200);
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
      web: transparentDataplaneYaml({ name: 'web', address: WEB, inbound: [{ port: 7000, service: 'web' }], outbound: [{ port: 5000, address: BACKEND, service: 'backend' }] }),
      backend: transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: BACKEND_INBOUND }),
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
    await intruder.sh(`ip addr add ${WEB}/32 dev ${LINK_IF} && ip route add ${BACKEND}/32 via ${BACKEND_LINK}`);
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

  // From here the intruder speaks from its own address (198.18.11.1), which no dataplane owns.
  it('STRICT: a plain TCP client and openssl s_client without a mesh certificate are refused, each as a denied flow', async () => {
    await intruder.sh(`ip addr del ${WEB}/32 dev ${LINK_IF}`);
    await backend.sh(`ip route del ${WEB}/32 via ${INTRUDER_LINK}`);
    const since = Date.now();
    await apply(mesh(true));
    await eventually(async () => ((await curl(web, `http://${BACKEND}:5000/`)) === '200' && (await backendFlows()).some((x) => x.client.address === WEB && x.tls?.verified && x.start >= since) ? true : undefined), 'web over mTLS again');
    expect(await curl(intruder, `http://${BACKEND}:5000/`)).toBe('000');
    const plain = await eventually(async () => (await backendFlows()).find((x) => x.client.address === INTRUDER_LINK && x.verdict === 'denied' && x.start >= since), 'the plain client refused');
    expect(plain.reason).toMatch(/^tls_handshake_failed/);
    const sslSince = Date.now();
    const ssl = await intruder.sh(`echo hello | timeout 5 openssl s_client -connect ${BACKEND}:5000 -alpn kuma -quiet -no_ign_eof 2>&1`, { allowFail: true });
    expect(ssl.stdout).toMatch(/alert|error/i);
    expect(ssl.stdout).not.toContain('ok');
    const refused = await eventually(async () => (await backendFlows()).find((x) => x.client.address === INTRUDER_LINK && x.verdict === 'denied' && x.start >= sslSince), 'the s_client refused');
    expect(refused.reason).toMatch(/^tls_handshake_failed|^tls_client_certificate_required/);
  });

  it('PERMISSIVE: the mesh client over mTLS and the plaintext client both get through, and the flows say which was which', async () => {
    const since = Date.now();
    await apply([mesh(true, 'PERMISSIVE'), ALLOW_ALL].join('---\n'));
    await eventually(async () => ((await curl(intruder, `http://${BACKEND}:5000/`)) === '200' ? true : undefined), 'the plaintext client let in');
    expect(await curl(web, `http://${BACKEND}:5000/`)).toBe('200');
    const plain = await eventually(async () => (await backendFlows()).find((x) => x.client.address === INTRUDER_LINK && x.verdict === 'forwarded' && x.start >= since), 'the plaintext flow');
    expect(plain.tls).toEqual({ mode: 'plaintext', verified: false });
    const secure = await eventually(async () => (await backendFlows()).find((x) => x.client.address === WEB && x.verdict === 'forwarded' && x.start >= since && x.tls?.mode === 'mtls'), 'the mTLS flow');
    expect(secure.tls).toMatchObject({ mode: 'mtls', verified: true });
    expect(secure.tls?.peer).toContain('spiffe://default/web');
  });

  it('certificates rotated by the control plane under steady load (10 s lifetime, re-issued every 8 s) lose no request', async () => {
    await apply([mesh(true, 'STRICT', '10s'), PERMISSION].join('---\n'));
    const serial = async (name: string): Promise<string> => (await api<{ certificate: { serial: string } }>(cp, `/api/meshes/default/dataplanes/${name}/certificate`)).certificate.serial;
    // The short-lived certificates are in force once the backend's serial changes once more.
    const first = await eventually(async () => {
      const s = await serial('backend');
      return (await api<{ dpCertExpiration?: string }>(cp, '/api/meshes/default/mtls')).dpCertExpiration === '10s' ? s : undefined;
    }, 'the 10 s certificates');
    const serials = { backend: new Set([first]), web: new Set([await serial('web')]) };
    // Steady load from web for 22 s (at most 2,000 requests): every status printed, one per line.
    const load = web.sh(`end=$(($(date +%s) + 22)); i=0; while [ $(date +%s) -lt $end ] && [ $i -lt 2000 ]; do curl -s -o /dev/null --max-time 5 -w '%{http_code}\\n' http://${BACKEND}:5000/ || true; i=$((i + 1)); done`, { timeoutMs: 60_000 });
    let loading = true;
    void load.finally(() => (loading = false));
    while (loading) {
      serials.backend.add(await serial('backend'));
      serials.web.add(await serial('web'));
      await new Promise((r) => setTimeout(r, 500));
    }
    const codes = (await load).stdout.trim().split('\n');
    expect(codes.length).toBeGreaterThan(50);
    expect(codes.filter((c) => c !== '200')).toEqual([]);
    // Two rotations of each side at least happened during the load.
    expect(serials.backend.size).toBeGreaterThanOrEqual(3);
    expect(serials.web.size).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
