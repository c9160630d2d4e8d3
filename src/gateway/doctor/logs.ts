/**
 * What an OpenVPN client's log says about why it is not connected: the last
 * connection error among its lines, in OpenVPN 2.5–2.7's own words.
 */

export type ConnectionErrorKind = 'reset' | 'refused' | 'timeout' | 'unreachable' | 'resolve' | 'auth-failed' | 'tls-crypt' | 'server-certificate' | 'tls'

export interface ConnectionError {
  kind: ConnectionErrorKind
  /** The log line, without its timestamp. */
  line: string
  /** The server address it dialed (host:port), when the log names it. */
  address?: string
}

const KINDS: Array<[ConnectionErrorKind, RegExp]> = [
  ['auth-failed', /AUTH_FAILED/],
  ['tls-crypt', /tls-crypt unwrapping failed|tls-crypt unwrap error|packet authentication failed/i],
  ['server-certificate', /VERIFY ERROR|VERIFY X509NAME ERROR|VERIFY KU ERROR|VERIFY EKU ERROR|certificate verify failed/],
  ['refused', /Connection refused/],
  ['timeout', /Connection timed out|TLS key negotiation failed to occur|connection timeout/i],
  ['unreachable', /Network is unreachable|No route to host|Host is unreachable/],
  ['resolve', /RESOLVE: Cannot resolve host address|Name or service not known|Temporary failure in name resolution/],
  ['tls', /TLS Error|TLS_ERROR|SSL alert|tlsv1 alert|sslv3 alert|TLS handshake failed/],
  // Over TCP the server closes a handshake it refuses (a certificate it does not accept).
  ['reset', /Connection reset, restarting|Connection reset by peer/],
]

/** "[AF_INET]100.64.3.10:31194" or "100.64.3.10:31194" as OpenVPN prints a peer. */
const ADDRESS = /\[AF_INET6?\](\[?[0-9a-fA-F:.]+\]?:\d+)|(?:with|to|remote address:?) \[?AF_INET6?\]?([^\s,]+:\d+)/

/** Drops OpenVPN's timestamp ("2025-01-02 03:04:05 " or "Thu Jan  2 03:04:05 2025 "). */
const clean = (line: string): string =>
  line
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? /, '')
    .replace(/^[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \d{4} /, '')
    .trim()

/** The server address the client last dialed, from its log. */
export function dialedAddress(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => !l.includes('MANAGEMENT'))
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = ADDRESS.exec(lines[i])
    if (m) return (m[1] ?? m[2]).replace(/^\[AF_INET6?\]/, '')
  }
  return undefined
}

/** Where OpenVPN starts a connection attempt: what follows is that attempt's story. */
const ATTEMPT = /Attempting to establish|TCP connection established|UDP link remote|link remote:/

/**
 * Why the client's last attempt failed, classified: of the errors since that
 * attempt began, the most telling (AUTH_FAILED before the reset that follows
 * it); else the last error of the log; undefined when none, or when a session
 * came up after it.
 */
export function lastConnectionError(log: string): ConnectionError | undefined {
  const lines = log.split('\n').filter((l) => l.trim() && !l.includes('MANAGEMENT:'))
  const start = lines.map((l) => ATTEMPT.test(l)).lastIndexOf(true)
  if (start >= 0) {
    const attempt = lines.slice(start).map(clean)
    if (!attempt.some((l) => /Initialization Sequence Completed/.test(l))) {
      for (const [kind, pattern] of KINDS) {
        const line = attempt.filter((l) => pattern.test(l)).at(-1)
        if (line) {
          const address = ADDRESS.exec(line)
          return {kind, line, ...(address ? {address: address[1] ?? address[2]} : {})}
        }
      }
    }
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = clean(lines[i])
    // A successful session after the error: the error is history.
    if (/Initialization Sequence Completed/.test(line)) return undefined
    const kind = KINDS.find(([, pattern]) => pattern.test(line))?.[0]
    if (kind) {
      const address = ADDRESS.exec(line)
      return {kind, line, ...(address ? {address: (address[1] ?? address[2])} : {})}
    }
  }
  return undefined
}

/** Whether the client's log ends connected (its last session came up and nothing failed since). */
export const saysConnected = (log: string): boolean => {
  const lines = log.split('\n').filter((l) => l.trim() && !l.includes('MANAGEMENT:'))
  const up = lines.map((l) => /Initialization Sequence Completed/.test(l)).lastIndexOf(true)
  return up >= 0 && !lines.slice(up + 1).some((l) => /restarting|SIGUSR1|SIGTERM|Inactivity timeout/.test(l))
}

/** The last lines of a crashed container's log that say why, most telling first. */
export function crashLines(log: string, max = 2): string[] {
  const lines = log
    .split('\n')
    .map(clean)
    .filter(Boolean)
  const telling = lines.filter((l) => /error|alert|fatal|exiting|cannot|can't|failed|invalid|unrecognized|no such/i.test(l))
  return (telling.length > 0 ? telling : lines).slice(-max)
}
