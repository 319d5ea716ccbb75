/** Response shapes of the rules and trace routes (realign with apps/api/API.md). */

export interface Rule {
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  index: number;
  /** The rule as iptables-save prints it (`-A KUMA_MESH_OUTBOUND ... -j REDIRECT --to-ports 15001`) or nft text. */
  text: string;
  target: string;
  comment?: string;
  /** Carries meshcap's comment prefix. */
  ours: boolean;
  packets: number;
  bytes: number;
}

export interface RuleChain {
  name: string;
  /** Built-in chain policy (ACCEPT…); null for user chains. */
  policy: string | null;
  ours: boolean;
  packets?: number;
  bytes?: number;
  rules: Rule[];
}

export interface RuleTable {
  family: 'ipv4' | 'ipv6' | (string & {});
  name: string;
  chains: RuleChain[];
}

/** `GET /api/meshes/{mesh}/dataplanes/{name}/rules`. */
export interface RuleSet {
  backend: 'iptables' | 'nftables' | (string & {});
  tables: RuleTable[];
}

/** Body of `POST .../dataplanes/{name}/trace`. */
export interface TraceRequest {
  direction: 'inbound' | 'outbound';
  src: string;
  dst: string;
  port: number;
  uid?: number;
  proto?: 'tcp' | 'udp';
}

export interface TraceStep {
  family?: string;
  table: string;
  chain: string;
  /** Rule index in the chain; null for the chain's policy. */
  index: number | null;
  text: string;
  /** `match`, `no-match`, or `unknown` (a match the tracer cannot evaluate — never guessed). */
  result: 'match' | 'no-match' | 'unknown' | (string & {});
  /** This rule decided the packet's fate. */
  decided: boolean;
}

export interface TraceResult {
  verdict: {
    /** `captured` (redirected to a port), `returned`, `accepted`, `dropped`. */
    kind: string;
    port?: number;
    description: string;
  };
  steps: TraceStep[];
}
