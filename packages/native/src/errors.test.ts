import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeNetns } from '@meshcap/testkit';
import {
  connectMarked,
  createTransparentListenSocket,
  getSocketMark,
  isNotRedirected,
  listenTransparent,
  originalDestination,
  setSocketMark,
} from './index.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected loopback pair in this process: [client, accepted]. */
async function loopbackPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const peer = await accepted;
  cleanups.push(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  return [client, peer];
}

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-native-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('socket arguments', () => {
  it.each([
    ['a plain object', {}],
    ['a number (an fd is not accepted)', 5],
    ['null', null],
    ['a net.Server', new net.Server()],
  ])('throws a TypeError naming the argument for %s', (_label, value) => {
    for (const call of [originalDestination, getSocketMark, (s: net.Socket) => setSocketMark(s, 1)]) {
      expect(() => call(value as net.Socket)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^socket must be a net\.Socket, got /) }),
      );
    }
  });

  it('throws ERR_SOCKET_CLOSED for a socket that was never connected', () => {
    expect(() => originalDestination(new net.Socket())).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_CLOSED', message: expect.stringContaining('no open file descriptor') }),
    );
  });

  it('throws ERR_SOCKET_CLOSED for a socket after it is closed', async () => {
    const [client] = await loopbackPair();
    expect(getSocketMark(client)).toBe(0); // open: the fd is readable
    client.destroy();
    for (const call of [originalDestination, getSocketMark, (s: net.Socket) => setSocketMark(s, 1)]) {
      expect(() => call(client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    }
  });

  it('throws ENOTSOCK (syscall getsockname) for a net.Socket over a FIFO, which is no socket', () => {
    const fifo = join(scratchDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const socket = new net.Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: false });
    cleanups.push(() => socket.destroy());
    expect(() => originalDestination(socket)).toThrow(
      expect.objectContaining({ name: 'Error', code: 'ENOTSOCK', errno: -88, syscall: 'getsockname' }),
    );
  });

  it('throws EOPNOTSUPP (syscall getsockopt) for a Unix-domain socket', async () => {
    const path = join(scratchDir(), 'sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(path);
    const peer = await accepted;
    cleanups.push(() => {
      client.destroy();
      peer.destroy();
      server.close();
    });
    expect(() => originalDestination(peer)).toThrow(expect.objectContaining({ code: 'EOPNOTSUPP', syscall: 'getsockopt' }));
  });

  it('isNotRedirected recognises only the ENOENT of a connection that was not redirected', async () => {
    const [, accepted] = await loopbackPair();
    let caught: unknown;
    try {
      originalDestination(accepted);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'ENOENT', syscall: 'getsockopt', message: expect.stringContaining('not redirected') });
    expect(isNotRedirected(caught)).toBe(true);
    expect(isNotRedirected(Object.assign(new Error('x'), { code: 'ENOTSOCK' }))).toBe(false);
    expect(isNotRedirected('ENOENT')).toBe(false);
  });
});

describe('option checks (before any syscall)', () => {
  const typeError = (code: string, message: RegExp | string) =>
    expect.objectContaining({ name: 'TypeError', code, message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) });

  it.each([
    ['options not an object', undefined, 'ERR_INVALID_ARG_TYPE', 'options must be an object'],
    ['a hostname', { host: 'localhost', port: 1 }, 'ERR_INVALID_ARG_VALUE', "options.host must be an IPv4 or IPv6 address (no hostnames, no zone) (got string 'localhost')"],
    ['a zoned address', { host: 'fe80::1%lo', port: 1 }, 'ERR_INVALID_ARG_VALUE', 'no zone'],
    ['a port above 65535', { host: '0.0.0.0', port: 65536 }, 'ERR_INVALID_ARG_VALUE', 'options.port must be an integer from 0 to 65535'],
    ['a port as text', { host: '0.0.0.0', port: '80' }, 'ERR_INVALID_ARG_TYPE', "options.port must be a number, got string '80'"],
    ['a family not matching host', { host: '0.0.0.0', port: 1, family: 6 }, 'ERR_INVALID_ARG_VALUE', "options.family does not match options.host '0.0.0.0'"],
    ['family 5', { host: '0.0.0.0', port: 1, family: 5 }, 'ERR_INVALID_ARG_VALUE', 'options.family must be 4 or 6'],
    ['a negative backlog', { host: '::', port: 1, backlog: -1 }, 'ERR_INVALID_ARG_VALUE', 'options.backlog'],
    ['ipv6Only as text', { host: '::', port: 1, ipv6Only: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'options.ipv6Only must be a boolean'],
  ])('createTransparentListenSocket refuses %s', (_label, options, code, message) => {
    expect(() => createTransparentListenSocket(options as never)).toThrow(typeError(code, message));
  });

  it('listenTransparent refuses something that is not a net.Server', async () => {
    expect(() => listenTransparent({} as net.Server, { host: '0.0.0.0', port: 0 })).toThrow(
      typeError('ERR_INVALID_ARG_TYPE', 'server must be a net.Server'),
    );
  });

  it.each([
    ['a hostname', { host: 'example.test', port: 80, mark: 1 }, 'ERR_INVALID_ARG_VALUE', 'options.host must be an IPv4 or IPv6 address'],
    ['port 0', { host: '198.18.0.1', port: 0, mark: 1 }, 'ERR_INVALID_ARG_VALUE', 'options.port must be an integer from 1 to 65535'],
    ['no mark', { host: '198.18.0.1', port: 80 }, 'ERR_INVALID_ARG_TYPE', 'options.mark must be a number, got undefined'],
    ['a negative mark', { host: '198.18.0.1', port: 80, mark: -1 }, 'ERR_INVALID_ARG_VALUE', 'options.mark must be an integer from 0 to 4294967295'],
    ['a mark above 32 bits', { host: '198.18.0.1', port: 80, mark: 2 ** 32 }, 'ERR_INVALID_ARG_VALUE', 'options.mark'],
    ['a fractional mark', { host: '198.18.0.1', port: 80, mark: 1.5 }, 'ERR_INVALID_ARG_VALUE', 'options.mark'],
    ['a source of the other family', { host: '198.18.0.1', port: 80, mark: 1, localAddress: '::1' }, 'ERR_INVALID_ARG_VALUE', 'options.localAddress is IPv6 but options.host is IPv4'],
    ['a source port without a source address', { host: '198.18.0.1', port: 80, mark: 1, localPort: 5 }, 'ERR_INVALID_ARG_VALUE', 'options.localPort needs options.localAddress'],
    ['transparent as a number', { host: '198.18.0.1', port: 80, mark: 1, transparent: 1 }, 'ERR_INVALID_ARG_TYPE', 'options.transparent must be a boolean'],
  ])('connectMarked refuses %s', (_label, options, code, message) => {
    expect(() => connectMarked(options as never)).toThrow(typeError(code, message));
  });

  it('setSocketMark refuses a mark that is not a 32-bit unsigned integer', async () => {
    const [client] = await loopbackPair();
    expect(() => setSocketMark(client, 2 ** 32)).toThrow(typeError('ERR_INVALID_ARG_VALUE', 'mark must be an integer from 0 to 4294967295'));
  });
});

// These need CAP_NET_ADMIN; they only bind loopback sockets on kernel-chosen ports in this process.
describeNetns('in-process, with privileges (loopback only)', () => {
  const server = net.createServer((socket) => socket.end('hi'));

  beforeAll(async () => {
    await listenTransparent(server, { host: '127.0.0.1', port: 0 });
  });

  afterAll(() => {
    server.close();
  });

  it('listenTransparent resolves with the address a net.Server now serves', async () => {
    const address = server.address() as net.AddressInfo;
    expect(address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(address.port).toBeGreaterThan(0);
    const reply = await new Promise<string>((resolve, reject) => {
      const client = net.connect(address.port, '127.0.0.1');
      let data = '';
      client.setEncoding('utf8').on('data', (d: string) => (data += d));
      client.on('end', () => resolve(data)).on('error', reject);
    });
    expect(reply).toBe('hi');
  });

  it('a second transparent listener on the same port fails with EADDRINUSE from bind', () => {
    const { port } = server.address() as net.AddressInfo;
    expect(() => createTransparentListenSocket({ host: '127.0.0.1', port })).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', errno: -98, syscall: 'bind' }),
    );
  });

  it('setSocketMark and getSocketMark round-trip on an accepted socket', async () => {
    const [, accepted] = await loopbackPair();
    setSocketMark(accepted, 0xfffffffe);
    expect(getSocketMark(accepted)).toBe(0xfffffffe);
  });
});
