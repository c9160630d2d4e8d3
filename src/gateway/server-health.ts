import {dirs, files} from '../dataplane/layout.js'
import {backendHealth, parseHaproxyStats, parseOpenVpnStatus} from '../health/index.js'

export interface Tunnel {
  commonName: string
  realAddress: string
  tunnelIP: string
  connectedSince: string
  bytesReceived: number
  bytesSent: number
}

export interface ServerHealth {
  tunnels: Tunnel[]
  /** service name → client name → HAProxy server status (UP, DOWN, MAINT, …). */
  backends: Record<string, Record<string, string>>
}

/** Runs a command in a container of the server pod and returns its stdout. */
export type ContainerExec = (container: 'openvpn' | 'proxy', command: string[]) => Promise<string>

export const OPENVPN_STATUS_COMMAND = ['cat', `${dirs.run}/${files.openvpnStatus}`]
export const HAPROXY_STATS_COMMAND = ['/bin/sh', `${dirs.scripts}/haproxy-stats.sh`]

/** The server's live view: who is connected (OpenVPN status file) and which backends are up (HAProxy stats). */
export async function readServerHealth(exec: ContainerExec): Promise<ServerHealth> {
  const [status, stats] = await Promise.all([exec('openvpn', OPENVPN_STATUS_COMMAND), exec('proxy', HAPROXY_STATS_COMMAND)])
  const tunnels = parseOpenVpnStatus(status).clients.map((c) => ({
    commonName: c.commonName,
    realAddress: c.realAddress,
    tunnelIP: c.tunnelIP,
    connectedSince: c.connectedSince,
    bytesReceived: c.bytesReceived,
    bytesSent: c.bytesSent,
  }))
  return {tunnels, backends: backendHealth(parseHaproxyStats(stats))}
}
