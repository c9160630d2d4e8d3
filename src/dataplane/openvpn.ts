import {netmaskOf, networkAddressOf} from '../registry/allocate.js'
import {Registry} from '../registry/types.js'
import {files, rel} from './layout.js'
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
}

export const DEFAULT_TIMERS: Timers = {ping: 10, pingRestart: 30, statusInterval: 10}

export interface ServerTunnelOptions {
  proto: Proto
  port: number
  tunnelNetwork: string
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

// ncp-ciphers is what OpenVPN 2.4 calls data-ciphers; 2.5 and later accept
// it as an alias, so one config serves every image from 2.4 on.
const HARDENING = [
  'tls-version-min 1.2',
  'ncp-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
  'cipher AES-256-GCM',
  'auth SHA256',
  `tls-crypt ${rel.tlsCrypt}/${files.tlsCrypt}`,
  `ca ${rel.tls}/ca.crt`,
  `cert ${rel.tls}/tls.crt`,
  `key ${rel.tls}/tls.key`,
  'persist-key',
  'persist-tun',
]

const lines = (...parts: Array<string | string[]>): string => `${parts.flat().join('\n')}\n`

/** OpenVPN server config; every path is relative to the layout ROOT (openvpn --cd ROOT). */
export function renderServerConf(options: ServerTunnelOptions): string {
  const t = {...DEFAULT_TIMERS, ...options.timers}
  return lines(
    '# Rendered by kubectl-svcgw; edits are overwritten.',
    `port ${options.port}`,
    options.proto === 'tcp' ? 'proto tcp-server' : 'proto udp',
    'dev tun0',
    'topology subnet',
    // nopool: every client has a fixed address in the client-config-dir.
    `server ${networkAddressOf(options.tunnelNetwork)} ${netmaskOf(options.tunnelNetwork)} nopool`,
    `client-config-dir ${rel.ccd}`,
    // Only registered clients (a file in the client-config-dir) may connect.
    'ccd-exclusive',
    // One file per revoked serial, read on every connection: revocation needs no restart.
    `crl-verify ${rel.crl} dir`,
    'dh none',
    'remote-cert-tls client',
    'verify-client-cert require',
    HARDENING,
    `keepalive ${t.ping} ${t.pingRestart}`,
    `status ${rel.run}/${files.openvpnStatus} ${t.statusInterval}`,
    'status-version 2',
    // Over TCP, Nagle's algorithm on the tunnel socket holds small packets for ~40-90 ms
    // (measured: p50 88 ms without it); tcp-nodelay also pushes the flag to clients.
    ...(options.proto === 'udp' ? ['explicit-exit-notify 1'] : ['tcp-nodelay']),
    `verb ${options.verbosity ?? 3}`,
  )
}

/** One client-config-dir file per registered client: its fixed tunnel address. */
export function renderClientConfigDir(registry: Registry, tunnelNetwork: string): Record<string, string> {
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
    'connect-retry 1 5',
    'remote-cert-tls server',
    `verify-x509-name ${options.serverName} name`,
    HARDENING,
    // Nothing routes cluster addresses across the tunnel: refuse any pushed route or DNS.
    'pull-filter ignore "route"',
    'pull-filter ignore "redirect-gateway"',
    'pull-filter ignore "dhcp-option"',
    `status ${rel.run}/${files.openvpnStatus} 5`,
    'status-version 2',
    // Over UDP, tell the server on exit so it frees the session at once; over TCP, no Nagle.
    ...(options.proto === 'udp' ? ['explicit-exit-notify 2'] : ['socket-flags TCP_NODELAY']),
    `verb ${options.verbosity ?? 3}`,
  )
}
