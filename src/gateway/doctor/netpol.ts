import type {LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort} from '../../kube/object.js'

/**
 * NetworkPolicy semantics, read rather than enforced: whether the policies of
 * a namespace let one connection through. Whether the cluster's network
 * plugin enforces them is something no API says (the Debian bridge plugin of
 * the test nodes does not), so doctor reports what the policies say.
 */

/** `matchLabels` and `matchExpressions` as the API defines them; an empty selector matches everything. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true
  const exact = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
  return (
    exact &&
    (selector.matchExpressions ?? []).every((e) => {
      const has = Object.hasOwn(labels, e.key)
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(labels[e.key])
        case 'NotIn':
          return !has || !(e.values ?? []).includes(labels[e.key])
        case 'Exists':
          return has
        case 'DoesNotExist':
          return !has
        default:
          return false
      }
    })
  )
}

const ipv4 = (ip: string): number | undefined => {
  const parts = ip.split('.').map(Number)
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts.reduce((n, p) => n * 256 + p, 0) : undefined
}

/** Whether an IPv4 address lies in a CIDR; undefined for what this cannot tell (IPv6, a host name). */
export function inCidr(ip: string, cidr: string): boolean | undefined {
  const [base, bits] = cidr.split('/')
  const a = ipv4(ip)
  const b = ipv4(base)
  const n = Number(bits ?? 32)
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return undefined
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0
  return ((a & mask) >>> 0) === ((b & mask) >>> 0)
}

/** The other end of a connection: a pod (namespace and labels), an address, or both when known. */
export interface Peer {
  /** A pod's namespace, with its labels; absent for an address outside the cluster. */
  namespace?: string
  namespaceLabels?: Record<string, string>
  podLabels?: Record<string, string>
  /** Its address, when known (a pod IP, a node address). */
  ip?: string
  /** For messages: "the server 100.64.3.10:31194". */
  what: string
  /** Any peer at all (consumers of a service): a rule that names peers may or may not cover them. */
  anyone?: boolean
}

export interface Connection {
  direction: 'ingress' | 'egress'
  /** The pod the policies may select: its namespace and labels. */
  namespace: string
  podLabels: Record<string, string>
  peer: Peer
  port: number
  /** The port's name on the pod, when it has one (policies may name ports). */
  portName?: string
  protocol: 'TCP' | 'UDP'
}

type Tri = 'yes' | 'no' | 'maybe'

function portMatches(ports: NetworkPolicyPort[] | undefined, c: Connection): boolean {
  if (!ports || ports.length === 0) return true
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== c.protocol) return false
    if (p.port === undefined) return true
    if (typeof p.port === 'string') return /^\d+$/.test(p.port) ? Number(p.port) === c.port : p.port === c.portName
    return p.endPort ? c.port >= p.port && c.port <= p.endPort : p.port === c.port
  })
}

function peerMatches(peer: NetworkPolicyPeer, policyNamespace: string, other: Peer): Tri {
  if (other.anyone) return 'maybe'
  if (peer.ipBlock) {
    if (!other.ip) return 'maybe'
    const inside = inCidr(other.ip, peer.ipBlock.cidr)
    if (inside === undefined) return 'maybe'
    if (!inside) return 'no'
    return (peer.ipBlock.except ?? []).some((e) => inCidr(other.ip!, e)) ? 'no' : 'yes'
  }
  // Selectors match pods only; an address outside the cluster is never one.
  if (!other.namespace || !other.podLabels) return 'no'
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, other.namespaceLabels ?? {}) : other.namespace === policyNamespace
  return namespaceOk && selects(peer.podSelector, other.podLabels) ? 'yes' : 'no'
}

const typesOf = (p: NetworkPolicy): Array<'Ingress' | 'Egress'> => p.spec?.policyTypes ?? ['Ingress', ...(p.spec?.egress ? (['Egress'] as const) : [])]

export interface PolicyVerdict {
  /** allowed: no policy isolates the pod, or one lets it through; denied: policies isolate it and none lets it; unknown: a rule may. */
  verdict: 'allowed' | 'denied' | 'unknown'
  /** The policies that select the pod for this direction. */
  policies: string[]
}

/** Whether the namespace's policies let the connection through, and which policies decide. */
export function evaluate(policies: NetworkPolicy[], c: Connection): PolicyVerdict {
  const type = c.direction === 'ingress' ? 'Ingress' : 'Egress'
  const selecting = policies.filter((p) => typesOf(p).includes(type) && selects(p.spec?.podSelector ?? {}, c.podLabels))
  if (selecting.length === 0) return {verdict: 'allowed', policies: []}
  let maybe = false
  for (const policy of selecting) {
    const rules = (c.direction === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? []
    for (const rule of rules) {
      if (!portMatches(rule.ports, c)) continue
      const peers = 'from' in rule ? (rule as {from?: NetworkPolicyPeer[]}).from : (rule as {to?: NetworkPolicyPeer[]}).to
      if (!peers || peers.length === 0) return {verdict: 'allowed', policies: selecting.map((p) => p.metadata.name)}
      const matches = peers.map((p) => peerMatches(p, policy.metadata.namespace ?? c.namespace, c.peer))
      if (matches.includes('yes')) return {verdict: 'allowed', policies: [policy.metadata.name]}
      if (matches.includes('maybe')) maybe = true
    }
  }
  return {verdict: maybe ? 'unknown' : 'denied', policies: selecting.map((p) => p.metadata.name)}
}

/** "egress to the server 100.64.3.10:31194/TCP". */
export const describeConnection = (c: Connection): string =>
  `${c.direction} ${c.direction === 'ingress' ? 'from' : 'to'} ${c.peer.what}${c.peer.ip ? ` (${c.peer.ip})` : ''} on ${c.port}/${c.protocol}`
