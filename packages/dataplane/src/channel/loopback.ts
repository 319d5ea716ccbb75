/** 127.0.0.0/8, ::1 and `localhost`: where plaintext is allowed (nothing off this host can listen in). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || /^::ffff:127\./.test(h);
}
