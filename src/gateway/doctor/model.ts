/**
 * What `kubectl svcgw doctor` finds: per exposed service, the hops of its
 * path from the consumer to the provider, each checked (✓), broken (✗) or
 * not checkable (?), and for a broken one the cause and the fix.
 */

/** ok ✓, fail ✗, unknown ? (could not be checked: a missing permission, an unreachable cluster). */
export type HopState = 'ok' | 'fail' | 'unknown'

export type HopId =
  | 'consumer-service'
  | 'server-pod'
  | 'server-policy'
  | 'frontend'
  | 'backend'
  | 'client-pod'
  | 'certificate'
  | 'tunnel'
  | 'client-policy'
  | 'provider-service'
  | 'endpoints'
  | 'dns'
  | 'probe'

export interface Hop {
  id: HopId
  /** A few words naming the hop: "consumer Service", "tunnel". */
  title: string
  state: HopState
  /** What was seen, one line. */
  detail: string
  /** Measured where it applies: a probe's connection or request, a tunnel check. */
  latencyMs?: number
  /** For a broken hop: why. */
  cause?: string
  /** For a broken hop: the command or change that fixes it. */
  fix?: string
  /** For an unknown hop: the permission (or access) it needed. */
  missing?: string
  /**
   * A failure seen here whose cause lies further along the path (a backend
   * the server's checks find down): the walk goes on to find that cause, and
   * this hop is the broken one only when nothing further is.
   */
  symptom?: boolean
}

/** The hops behind one client (one branch of the path). */
export interface ClientBranch {
  client: string
  context?: string
  hops: Hop[]
}

export type PathVerdict = 'ok' | 'broken' | 'unknown'

export interface ServicePath {
  name: string
  port: number
  internalPort: number
  /** The provider Service: "name.namespace:port". */
  target: string
  verdict: PathVerdict
  /** Hops shared by every client: consumer Service, server pod, frontend. */
  hops: Hop[]
  clients: ClientBranch[]
  /** The end-to-end probe through the server's frontend, when it ran. */
  probe?: Hop
  /** The first broken hop of each broken branch, as one line each: "hop: cause: fix". */
  problems: string[]
}

export interface DoctorReport {
  verdict: PathVerdict
  message: string
  server: {context: string; namespace: string}
  services: ServicePath[]
  /** Wall time of the whole walk. */
  elapsedMs: number
  checkedAt: string
}

const hop = (state: HopState) => (id: HopId, title: string, detail: string, extra: Partial<Hop> = {}): Hop => ({id, title, state, detail, ...extra})

export const ok = hop('ok')
export const unknown = hop('unknown')

/** A broken hop: what was seen, why, and what fixes it. */
export const fail = (id: HopId, title: string, detail: string, cause: string, fix: string, extra: Partial<Hop> = {}): Hop => ({id, title, state: 'fail', detail, cause, fix, ...extra})

/** The one line a broken hop is reported in: what, why, and the fix. */
export const problemLine = (h: Hop, where?: string): string =>
  `${where ? `${where}: ` : ''}${h.title}: ${h.detail}${h.cause ? ` (${h.cause})` : ''}${h.fix ? `; fix: ${h.fix}` : ''}`
