import {backendHealth, parseHaproxyStats, type TunnelHealth, tunnelHealth} from '../health/index.js'

export interface ServerHealth {
  /** client name → its tunnel, as the server's checks across it see it. */
  tunnels: Record<string, TunnelHealth>
  /** service name → client name → HAProxy server status (UP, DOWN, MAINT, …). */
  backends: Record<string, Record<string, string>>
}

/** HAProxy's stats as CSV, on the stats port on the pod's loopback. */
export const STATS_PATH = '/stats;csv;norefresh'

/**
 * The server's live view from HAProxy's stats alone: which tunnels answer
 * (the check-only tunnels backend), which backends are up, bytes per
 * client. Read through port-forward, so it needs no exec.
 */
export async function readServerHealth(fetchStats: () => Promise<string>): Promise<ServerHealth> {
  const rows = parseHaproxyStats(await fetchStats())
  return {tunnels: tunnelHealth(rows), backends: backendHealth(rows)}
}
