// What the real-kernel tests use to drive the agents in this folder and read netfilter counters.
import { fileURLToPath } from 'node:url';
import { agentPath, type Host, type HostProcess } from '@meshcap/testkit';

export type AgentName = 'original-dst-server' | 'marked-connect' | 'transparent-server';

export function agentScript(name: AgentName): string {
  return fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
}

/** Starts an agent in `host` and waits for it to listen (fails with its error line otherwise). */
export async function startListener(host: Host, name: AgentName, args: string[]): Promise<HostProcess> {
  const proc = host.spawnNode(agentScript(name), args);
  await proc.waitForLine(/"event":"listening"/, 20_000);
  return proc;
}

export type JsonLine = Record<string, unknown>;

/**
 * Connects from `from` to `address:port` with the kit's tcp-connect agent, then returns the client's
 * lines and the listener's line for that connection (matched by the client's source port).
 */
export async function connectAndMatch(
  from: Host,
  address: string,
  port: number,
  listener: HostProcess,
): Promise<{ client: JsonLine[]; accepted: JsonLine }> {
  const conn = from.spawnNode(agentPath('tcp-connect'), ['--host', address, '--port', String(port), '--send', 'hello']);
  const connected = JSON.parse(await conn.waitForLine(/"event":"(connected|error)"/)) as JsonLine;
  if (connected.event === 'error') throw new Error(`connect to ${address}:${port} failed: ${JSON.stringify(connected)}`);
  const accepted = JSON.parse(
    await listener.waitForLine(new RegExp(`"event":"connection".*"remotePort":${String(connected.localPort)}[,}]`)),
  ) as JsonLine;
  await conn.exited;
  return { client: conn.jsonLines(), accepted };
}

/** Runs an agent to completion and returns its JSON lines. */
export async function runAgent(host: Host, name: AgentName, args: string[]): Promise<JsonLine[]> {
  const proc = host.spawnNode(agentScript(name), args);
  await proc.exited;
  return proc.jsonLines();
}

/** Packet counter of the one rule carrying `--comment tag`, from `iptables-save -c` (or ip6tables). */
export async function ruleCounter(host: Host, binary: 'iptables' | 'ip6tables', table: string, tag: string): Promise<number> {
  const saved = (await host.run(`${binary}-save`, ['-c', '-t', table])).stdout;
  const lines = saved.split('\n').filter((l) => l.includes(`--comment ${tag}`) || l.includes(`--comment "${tag}"`));
  if (lines.length !== 1) throw new Error(`expected one ${binary} ${table} rule tagged ${tag}, found ${lines.length}:\n${saved}`);
  const counter = /^\[(\d+):\d+\]/.exec(lines[0] ?? '');
  if (!counter) throw new Error(`no counter on: ${lines[0]}`);
  return Number(counter[1]);
}
