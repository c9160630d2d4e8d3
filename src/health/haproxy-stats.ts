import {BACKEND_PREFIX, HOLD_SERVER, TUNNELS_BACKEND, UNUSED_SERVER} from '../dataplane/haproxy.js'

export interface HaproxyStatRow {
  pxname: string
  svname: string
  status: string
  /** Current sessions. */
  scur: number
  /** Total sessions. */
  stot: number
  /** Seconds since the last status change. */
  lastchg?: number
  /** Last health-check result (L4OK, L4CON, L4TOUT, …), without the in-progress marker. */
  checkStatus?: string
  /** Server address (HAProxy ≥ 1.9). */
  addr?: string
  [column: string]: string | number | undefined
}

const NUMERIC = new Set(['scur', 'stot', 'lastchg', 'bin', 'bout', 'econ', 'eresp', 'chkfail', 'chkdown', 'downtime', 'check_duration'])

/** Parses the CSV of `show stat` (socket) or `/stats;csv` (HTTP): a `# ` header row, then one row per proxy or server. */
export function parseHaproxyStats(csv: string): HaproxyStatRow[] {
  const rows = csv.split(/\r?\n/).filter((r) => r.trim().length > 0)
  const headerRow = rows.find((r) => r.startsWith('# '))
  if (!headerRow) return []
  const header = headerRow.slice(2).split(',')
  return rows
    .filter((r) => !r.startsWith('#'))
    .map((r) => {
      const cells = r.split(',')
      const row: Record<string, string | number | undefined> = {}
      header.forEach((name, i) => {
        if (!name) return
        const value = cells[i] ?? ''
        row[name] = NUMERIC.has(name) ? (value === '' ? undefined : Number(value)) : value
      })
      // "* L4TOUT": HAProxy marks a check still in progress with "* " before the last result.
      row.checkStatus = typeof row.check_status === 'string' ? row.check_status.replace(/^\* /, '') : undefined
      return row as HaproxyStatRow
    })
}

/**
 * A server HAProxy has not checked yet since it was added: it shows UP (a
 * server starts UP) though nothing answered. Its status is unknown.
 */
export const UNCHECKED = 'UNCHECKED'
/** A server's stats status is up: "UP", or a transition still counted up ("UP 1/2"). */
export const statusIsUp = (status: string | undefined): boolean => status?.split(' ')[0] === 'UP'
const unchecked = (row: HaproxyStatRow) => row.checkStatus === 'INI'

/**
 * Per exposed service (its backend section, `be-NAME`) and server (client):
 * the server's status, e.g. UP, DOWN, "DOWN 1/2", MAINT, NOLB, or UNCHECKED. Frontends
 * (`fe-NAME`, `stats`, `health`) and the BACKEND summary rows are left out.
 */
export function backendHealth(rows: HaproxyStatRow[], sectionPrefix = BACKEND_PREFIX): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {}
  for (const row of rows) {
    if (!row.pxname.startsWith(sectionPrefix) || row.svname === 'FRONTEND' || row.svname === 'BACKEND' || row.svname === HOLD_SERVER) continue
    const service = row.pxname.slice(sectionPrefix.length)
    result[service] ??= {}
    result[service][row.svname] = unchecked(row) ? UNCHECKED : row.status.split(' ')[0]
  }
  return result
}

export interface TunnelHealth {
  /** null: not checked yet since the server's proxy added this client. */
  up: boolean | null
  /** Seconds in the current state. */
  forSeconds?: number
  /** How long the last check across the tunnel took, in ms. */
  checkMs?: number
  /** Bytes proxied to (in) and from (out) this client, over every service it serves. */
  bytesIn: number
  bytesOut: number
}

/**
 * Per client, from the server's stats: whether its tunnel answers (the
 * check-only `tunnels` backend) and the bytes proxied through it.
 */
export function tunnelHealth(rows: HaproxyStatRow[], sectionPrefix = BACKEND_PREFIX): Record<string, TunnelHealth> {
  const result: Record<string, TunnelHealth> = {}
  for (const row of rows) {
    if (row.pxname !== TUNNELS_BACKEND || ['FRONTEND', 'BACKEND', UNUSED_SERVER].includes(row.svname)) continue
    result[row.svname] = {
      up: unchecked(row) ? null : statusIsUp(row.status),
      ...(row.lastchg === undefined ? {} : {forSeconds: row.lastchg}),
      ...(typeof row.check_duration === 'number' ? {checkMs: row.check_duration} : {}),
      bytesIn: 0,
      bytesOut: 0,
    }
  }
  for (const row of rows) {
    const tunnel = result[row.svname]
    if (!tunnel || !row.pxname.startsWith(sectionPrefix) || row.svname === 'BACKEND') continue
    tunnel.bytesIn += Number(row.bin ?? 0)
    tunnel.bytesOut += Number(row.bout ?? 0)
  }
  return result
}
