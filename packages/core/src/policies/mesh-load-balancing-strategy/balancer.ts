import type { LoadBalancerConfig } from './decode.ts';

/**
 * The index tables of the hashing balancers, built once per cluster version: a ring (RING_HASH:
 * each host owns ringSize/n points, a key goes to the first point at or after its hash) and a
 * Maglev lookup table (each host fills slots in its own permutation order, so every host owns about
 * tableSize/n slots and a host leaving moves only its own keys). `ClusterState.pick` walks from the
 * chosen slot to the next usable host.
 */

/** 32-bit FNV-1a: cheap, and spreads short keys (addresses, header values) well enough to balance. */
export function hashKey(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche (murmur3's fmix32), so that keys differing in their last character land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface HashTable {
  /** The host index for a key's hash. */
  lookup(hash: number): number;
}

function ring(names: readonly string[], size: number): HashTable {
  const per = Math.max(1, Math.floor(size / names.length));
  const points: Array<[number, number]> = [];
  names.forEach((name, i) => {
    for (let j = 0; j < per; j++) points.push([hashKey(`${name}_${j}`), i]);
  });
  points.sort((a, b) => a[0] - b[0]);
  const hashes = Uint32Array.from(points, (p) => p[0]);
  const owners = Uint32Array.from(points, (p) => p[1]);
  return {
    lookup(hash) {
      let lo = 0;
      let hi = hashes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (hashes[mid]! < hash) lo = mid + 1;
        else hi = mid;
      }
      return owners[lo === hashes.length ? 0 : lo]!;
    },
  };
}

function maglev(names: readonly string[], size: number): HashTable {
  const table = new Int32Array(size).fill(-1);
  const offsets = names.map((n) => hashKey(n) % size);
  const skips = names.map((n) => (size > 1 ? (hashKey(n, 0x9747b28c) % (size - 1)) + 1 : 1));
  const next = names.map(() => 0);
  let filled = 0;
  while (filled < size) {
    for (let i = 0; i < names.length && filled < size; i++) {
      let slot = (offsets[i]! + next[i]! * skips[i]!) % size;
      while (table[slot]! >= 0) {
        next[i]!++;
        slot = (offsets[i]! + next[i]! * skips[i]!) % size;
      }
      table[slot] = i;
      next[i]!++;
      filled++;
    }
  }
  return { lookup: (hash) => table[hash % size]! };
}

/** The table of a hashing balancer over these hosts (`address:port` names), or undefined for the others. */
export function hashTable(lb: LoadBalancerConfig | undefined, names: readonly string[]): HashTable | undefined {
  if (names.length === 0) return undefined;
  if (lb?.policy === 'ring_hash') return ring(names, lb.minRingSize ?? 1024);
  if (lb?.policy === 'maglev') return maglev(names, lb.tableSize ?? 65537);
  return undefined;
}
