export interface OpenVpnClientSession {
  commonName: string
  /** host:port the client connects from. */
  realAddress: string
  tunnelIP: string
  bytesReceived: number
  bytesSent: number
  /** ISO 8601. */
  connectedSince: string
}

export interface OpenVpnStatus {
  /** ISO 8601 time the status file was written, if it says. */
  updatedAt?: string
  clients: OpenVpnClientSession[]
}

const iso = (epochSeconds: string | undefined, text: string | undefined): string =>
  epochSeconds && /^\d+$/.test(epochSeconds) ? new Date(Number(epochSeconds) * 1000).toISOString() : (text ?? '')

/**
 * Parses OpenVPN's status file in `status-version 2` (comma-separated) or
 * 3 (tab-separated) form. Columns are found through the HEADER line, so
 * versions that add columns still parse.
 */
export function parseOpenVpnStatus(text: string): OpenVpnStatus {
  const rows = text.split(/\r?\n/).filter(Boolean)
  const separator = rows.some((r) => r.startsWith('HEADER\t')) ? '\t' : ','
  let header: string[] = []
  let updatedAt: string | undefined
  const clients: OpenVpnClientSession[] = []
  for (const row of rows) {
    const cells = row.split(separator)
    if (cells[0] === 'TIME') updatedAt = iso(cells[2], cells[1])
    else if (cells[0] === 'HEADER' && cells[1] === 'CLIENT_LIST') header = cells.slice(1)
    else if (cells[0] === 'CLIENT_LIST' && header.length > 0) {
      const get = (name: string) => cells[header.indexOf(name)]
      clients.push({
        commonName: get('Common Name') ?? '',
        realAddress: get('Real Address') ?? '',
        tunnelIP: get('Virtual Address') ?? '',
        bytesReceived: Number(get('Bytes Received') ?? 0),
        bytesSent: Number(get('Bytes Sent') ?? 0),
        connectedSince: iso(get('Connected Since (time_t)'), get('Connected Since')),
      })
    }
  }
  return {...(updatedAt ? {updatedAt} : {}), clients}
}
