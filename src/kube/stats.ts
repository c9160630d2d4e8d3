/**
 * What a command asked of the apiservers, counted for the scale benchmark
 * and for anyone who sets SVCGW_STATS=1 (printed on stderr at the end).
 */
export interface RequestStats {
  reads: number
  writes: number
  /** Exec and port-forward sessions, log reads. */
  streams: number
  /** Bytes of the bodies of writes. */
  bytesSent: number
  /** Objects written, as kind/name, in order (a dry run's too). */
  written: string[]
}

export const requestStats: RequestStats = {reads: 0, writes: 0, streams: 0, bytesSent: 0, written: []}

export function countRead(): void {
  requestStats.reads++
}

export function countWrite(what: string, body?: unknown): void {
  requestStats.writes++
  requestStats.written.push(what)
  if (body !== undefined) requestStats.bytesSent += Buffer.byteLength(JSON.stringify(body))
}

export function countStream(): void {
  requestStats.streams++
}

export const formatStats = (s: RequestStats): string =>
  `kube requests: ${s.reads} reads, ${s.writes} writes (${(s.bytesSent / 1024).toFixed(1)} KiB sent), ${s.streams} exec/port-forward/log sessions`
