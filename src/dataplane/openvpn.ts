import {DEFAULT_TUNNEL_NETWORK, netmaskOf, networkAddressOf, parseNetwork, serverTunnelIP} from '../registry/allocate.js'
import {usageError} from '../errors.js'
import type {Registry} from '../registry/types.js'
import {files, MANAGEMENT_PORT, rel} from './layout.js'
import {serialToDecimal} from '../pki/inspect.js'

export type Proto = 'tcp' | 'udp'

/** Tunables the tests shorten; production keeps the defaults. */
export interface Timers {
  /** Seconds between keepalive pings (pushed to clients). */
  ping: number
  /** Seconds without a ping before a peer is declared dead. */
  pingRestart: number
  /** Seconds between status-file writes. */
  statusInterval: number
  /**
   * Seconds between TLS renegotiations. Each one verifies the client
   * certificate again, revocation directory included, so a revoked client
   * that is still connected is cut within this time (OpenVPN's default is
   * an hour); the data channel keeps flowing through a renegotiation.
   */
  renegSec: number
}

export const DEFAULT_TIMERS: Timers = {ping: 10, pingRestart: 30, statusInterval: 10, renegSec: 300}

export const DEFAULT_PORT = 1194

export interface ServerTunnelOptions {
  proto: Proto
  /** Default 1194. */
  port?: number
  /** Default 10.8.0.0/24. */
  tunnelNetwork?: string
  /** The server's own address in the tunnel network; default its first host (10.8.0.1). */
  serverTunnelIP?: string
  timers?: Partial<Timers>
  verbosity?: number
}

export interface ClientTunnelOptions {
  proto: Proto
  serverAddress: string
  serverPort: number
  /** CN the server certificate must carry. */
  serverName: string
  verbosity?: number
}

// OpenVPN ≥ 2.5: both ends negotiate the data cipher from data-ciphers (AEAD
// only), so neither `cipher` (a fallback for peers without negotiation, 2.3
// and older) nor `auth` (HMAC of non-AEAD ciphers; tls-crypt fixes its own)
// has anything left to do.
// The server trusts the CAs of its trust ConfigMap (current and, during a CA
// rotation, previous); a client the CAs in its own Secret's ca.crt.
const hardening = (caFile: string) => [
  'tls-version-min 1.2',
  'data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
  `tls-crypt ${rel.tlsCrypt}/${files.tlsCrypt}`,
  `ca ${caFile}`,
  `cert ${rel.tls}/tls.crt`,
  `key ${rel.tls}/tls.key`,
  // persist-key is left out: 2.7 always keeps the keys and warns that the option is ignored; 2.5
  // and 2.6 re-read the mounted files on a restart, which root in the pod can always do.
  'persist-tun',
]

// Measured with bench/dataplane (docs/dataplane.md), both ends rendered alike:
// - TCP: Nagle on the tunnel socket held small packets ~40-90 ms (p50 88 ms →
//   0.8 ms with TCP_NODELAY); a 9000-byte tun MTU gave 4.2× the throughput, as
//   the TCP transport segments anyway and every tunnel packet costs a syscall.
// - UDP: fast-io (write without poll first) gave no gain beyond noise in
//   explore.ts's A/B runs (docs/dataplane.md), and 2.7 ignores it with a
//   deprecation warning: left out. The tun MTU stays at the default: larger packets (1.6-2.2× here) would be
//   fragmented on the path, and fragments are lost or dropped on real networks.
const TCP_TUNING = ['tun-mtu 9000']
const UDP_TUNING: string[] = []

const lines = (...parts: Array<string | string[]>): string => `${parts.flat().join('\n')}\n`

// Loopback only, with a password only root in the openvpn container can read
// (openvpn-run.sh makes it): the readiness probe asks `state`, and on the
// server openvpn-kick.sh sends `kill CN`.
const MANAGEMENT = `management 127.0.0.1 ${MANAGEMENT_PORT} ${rel.run}/${files.openvpnManagementPassword}`

/** OpenVPN server config; every path is relative to the layout ROOT (openvpn --cd ROOT). */
export function renderServerConf(options: ServerTunnelOptions): string {
  const t = {...DEFAULT_TIMERS, ...options.timers}
  const network = options.tunnelNetwork ?? DEFAULT_TUNNEL_NETWORK
  return lines(
    '# Rendered by kubectl-svcgw; edits are overwritten.',
    `port ${options.port ?? DEFAULT_PORT}`,
    options.proto === 'tcp' ? 'proto tcp-server' : 'proto udp',
    'dev tun0',
    'topology subnet',
    addressing(network, options.serverTunnelIP),
    `client-config-dir ${rel.ccd}`,
    // Only registered clients (a file in the client-config-dir) may connect.
    'ccd-exclusive',
    // One file per revoked serial, read on every connection: revocation needs no restart.
    `crl-verify ${rel.crl} dir`,
    'dh none',
    'remote-cert-tls client',
    'verify-client-cert require',
    hardening(`${rel.trust}/ca.crt`),
    `keepalive ${t.ping} ${t.pingRestart}`,
    `reneg-sec ${t.renegSec}`,
    `status ${rel.run}/${files.openvpnStatus} ${t.statusInterval}`,
    'status-version 2',
    MANAGEMENT,
    // A restart (openvpn-run.sh loads new key files in place) waits for the script's `hold release`
    // instead of pausing a second: the clients' tunnels are back sooner.
    'management-hold',
    ...(options.proto === 'udp' ? UDP_TUNING : TCP_TUNING),
    ...(options.proto === 'udp' ? ['explicit-exit-notify 1'] : ['tcp-nodelay']),
    `verb ${options.verbosity ?? 3}`,
  )
}

const toInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)

/**
 * The server's tunnel address; every client has a fixed one in the
 * client-config-dir, so no pool. `server NET MASK nopool` takes the first
 * host; another address needs what that helper expands to, spelled out.
 */
function addressing(network: string, serverIP: string | undefined): string[] {
  const mask = netmaskOf(network)
  if (!serverIP || serverIP === serverTunnelIP(network)) return [`server ${networkAddressOf(network)} ${mask} nopool`]
  const {base, size} = parseNetwork(network)
  const offset = toInt(serverIP) - base
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(serverIP) || offset <= 0 || offset >= size - 1) {
    throw usageError(`server tunnel address ${serverIP} is not a host of ${network}`, `pick an address inside ${network}, other than its first and last`)
  }
  return ['mode server', 'tls-server', 'push "topology subnet"', `ifconfig ${serverIP} ${mask}`, `push "route-gateway ${serverIP}"`]
}

/** One client-config-dir file per registered client: its fixed tunnel address. */
export function renderClientConfigDir(registry: Registry, tunnelNetwork = DEFAULT_TUNNEL_NETWORK): Record<string, string> {
  const mask = netmaskOf(tunnelNetwork)
  return Object.fromEntries(registry.clients.map((c) => [c.name, lines(`ifconfig-push ${c.tunnelIP} ${mask}`)]))
}

/** The revocation directory: an empty file named by each revoked serial, in decimal. */
export function renderRevocations(registry: Registry): Record<string, string> {
  return Object.fromEntries(registry.revoked.map((r) => [serialToDecimal(r.serial), '']))
}

/** OpenVPN client config; it verifies the server certificate's name and takes no routes. */
export function renderClientConf(options: ClientTunnelOptions): string {
  return lines(
    '# Rendered by kubectl-svcgw; edits are overwritten.',
    'client',
    'dev tun0',
    options.proto === 'tcp' ? 'proto tcp-client' : 'proto udp',
    `remote ${options.serverAddress} ${options.serverPort}`,
    'nobind',
    'resolv-retry infinite',
    // A second between attempts, at most: after the server reloads its key files in place (openvpn-run.sh) every client
    // is back within about a second. (auth-retry nointeract would otherwise make every pause the maximum.)
    'connect-retry 1 1',
    // A refusal (AUTH_FAILED: the server does not admit this client yet, or revoked it) makes the
    // client wait and dial again instead of exiting, so the container does not crash-loop into the
    // kubelet's back-off while the server's client-config-dir catches up.
    'auth-retry nointeract',
    'remote-cert-tls server',
    `verify-x509-name ${options.serverName} name`,
    hardening(`${rel.tls}/ca.crt`),
    // Nothing routes cluster addresses across the tunnel: refuse any pushed route or DNS.
    'pull-filter ignore "route"',
    'pull-filter ignore "redirect-gateway"',
    'pull-filter ignore "dhcp-option"',
    `status ${rel.run}/${files.openvpnStatus} 5`,
    'status-version 2',
    MANAGEMENT,
    ...(options.proto === 'udp' ? UDP_TUNING : TCP_TUNING),
    // Over UDP, tell the server on exit so it frees the session at once.
    ...(options.proto === 'udp' ? ['explicit-exit-notify 2'] : ['socket-flags TCP_NODELAY']),
    `verb ${options.verbosity ?? 3}`,
  )
}
