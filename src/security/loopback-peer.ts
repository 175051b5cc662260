/**
 * Recognises callers on the same host from the peer string grpc-js reports, so the management
 * service can stay reachable from the machine itself while refusing the network when no token is
 * configured.
 */

/** Addresses that can only be reached from the host itself. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * True when `peer` (as `call.getPeer()` gives it: `127.0.0.1:5000`, `[::1]:5000`,
 * `[::ffff:127.0.0.1]:5000`, or `unix:/path` for a Unix socket) is on this host.
 *
 * Anything that cannot be parsed counts as remote, so a surprising format fails closed.
 */
export function isLoopbackPeer(peer: string): boolean {
  // A Unix socket can only be opened by local processes.
  if (peer.startsWith('unix:')) return true;
  return LOOPBACK_HOSTS.has(hostOf(peer));
}

function hostOf(peer: string): string {
  const withoutScheme = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(withoutScheme);
  if (bracketed !== null) return (bracketed[1] ?? '').toLowerCase();
  const hostAndPort = /^([^:]+):\d+$/.exec(withoutScheme);
  if (hostAndPort !== null) return hostAndPort[1] ?? '';
  // A bare IPv6 address has several colons and no port.
  return withoutScheme.toLowerCase();
}
