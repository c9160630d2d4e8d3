import {SvcgwError} from '../../errors.js'
import {daysLeft, inspectCertificate} from '../../pki/inspect.js'
import {caRotation, type CaStep, clientCaOf} from '../../registry/ca-rotation.js'
import {type PkiMode, pkiOf} from '../../registry/settings.js'
import type {RegisteredClient} from '../../registry/types.js'
import {certManagerHolds, type HomeKeys, readHomeKeys, requireHomeKeys} from '../authority.js'
import {Home} from '../home.js'
import {readClientKeys} from '../key-material.js'
import {providerOf} from '../providers.js'

/** How long a provider may take to say what it holds before it counts as unreachable. */
const PROVIDER_TIMEOUT_MS = 10_000

export interface CertificateRow {
  name: string
  kind: 'ca' | 'server' | 'client'
  serial: string
  notAfter: string
  daysLeft: number
  /**
   * current: in use; superseded: replaced but still valid; revoked: refused
   * by the server; previous: a CA being rotated out (still trusted).
   */
  state: 'current' | 'superseded' | 'revoked' | 'previous'
  context?: string
  /** A client's certificate: from the current CA, or from the previous one during a CA rotation. */
  ca?: 'current' | 'previous'
  /**
   * A client, as its provider holds it: in-sync (the certificate the
   * issuer holds now), behind (an older one: cert-manager renewed, or a
   * rotation is pending), unreachable, or exported (no context to ask).
   */
  provider?: 'in-sync' | 'behind' | 'unreachable' | 'exported'
  /** cert-manager mode: the serial cert-manager holds now for this client, when it differs from the provider's. */
  issuerSerial?: string
  problem?: string
}

export interface CertsStatus {
  mode: PkiMode
  certificates: CertificateRow[]
  revoked: number
  warnDays: number
  expiringSoon: string[]
  /** Certificates still valid that a client should no longer hold. */
  superseded: string[]
  /** Providers holding an older certificate than their issuer does (run "certs sync"). */
  behind: string[]
  /** Clients still holding a certificate from the previous CA, during a CA rotation. */
  onPreviousCa: string[]
  caRotation?: {current: string; previous: string; next: CaStep; waiting: string[]}
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_resolve, reject) => setTimeout(() => reject(new SvcgwError('unreachable', `no answer within ${ms / 1000} s`)), ms).unref())])

/** What the provider holds, compared with the registry's record and with cert-manager's certificate. */
async function providerView(home: Home, keys: HomeKeys, mode: PkiMode, client: RegisteredClient): Promise<Pick<CertificateRow, 'provider' | 'issuerSerial' | 'problem' | 'serial' | 'notAfter'>> {
  const issuer = mode === 'cert-manager' ? await certManagerHolds(home, keys, client.name) : undefined
  const want = issuer?.serial ?? client.serial
  const recorded = {serial: client.serial, notAfter: client.notAfter}
  if (!client.context) return {...recorded, provider: 'exported', ...(want !== client.serial ? {issuerSerial: want} : {})}
  try {
    const provider = providerOf(home, client)
    const held = await withTimeout(readClientKeys(provider.cluster, provider.namespace), PROVIDER_TIMEOUT_MS)
    if (!held) return {...recorded, provider: 'behind', problem: 'its provider holds no client certificate'}
    const info = inspectCertificate(held.pair.cert)
    const holds = {serial: info.serial, notAfter: info.notAfter.toISOString()}
    return {...holds, provider: holds.serial === want ? 'in-sync' : 'behind', ...(holds.serial === want ? {} : {issuerSerial: want})}
  } catch (error) {
    if (!(error instanceof SvcgwError)) throw error
    return {...recorded, provider: recorded.serial === want ? 'unreachable' : 'behind', ...(recorded.serial === want ? {} : {issuerSerial: want}), problem: error.message}
  }
}

/**
 * Every certificate's expiry and, per provider, whether the certificate it
 * holds is the one its issuer holds now: cert-manager renews on its own, so
 * a provider falls behind until "certs sync"; during a CA rotation, which
 * clients are still on the previous CA.
 */
export async function certsStatus(home: Home, warnDays: number): Promise<CertsStatus> {
  const state = await home.store.load()
  const {registry} = state
  const mode = pkiOf(state.settings).mode
  const keys = (await readHomeKeys(home, state)) ?? (await requireHomeKeys(home, state))
  const revoked = new Set(registry.revoked.map((r) => r.serial))
  const rotation = caRotation(registry)
  const row = (name: string, kind: CertificateRow['kind'], pem: string, rowState: CertificateRow['state'] = 'current'): CertificateRow => {
    const info = inspectCertificate(pem)
    return {name, kind, serial: info.serial, notAfter: info.notAfter.toISOString(), daysLeft: daysLeft(info.notAfter), state: rowState}
  }
  const cas = [row(inspectCertificate(keys.ca.cert).commonName, 'ca', keys.ca.cert)]
  if (rotation) {
    const previous = keys.caCerts.get(rotation.previous.serial)
    if (previous) cas.push(row(inspectCertificate(previous).commonName, 'ca', previous, 'previous'))
  }
  const clientRows = await Promise.all(
    registry.clients.map(async (c) => {
      const view = await providerView(home, keys, mode, c)
      const current: CertificateRow = {
        name: c.name,
        kind: 'client',
        ...view,
        daysLeft: daysLeft(new Date(view.notAfter)),
        state: revoked.has(view.serial) ? 'revoked' : 'current',
        ...(c.context ? {context: c.context} : {}),
        ...(rotation ? {ca: clientCaOf(registry, c) === rotation.current.serial ? ('current' as const) : ('previous' as const)} : {}),
      }
      return [
        current,
        ...(c.superseded ?? []).map((s) => ({
          name: c.name,
          kind: 'client' as const,
          serial: s.serial,
          notAfter: s.notAfter,
          daysLeft: daysLeft(new Date(s.notAfter)),
          state: 'superseded' as const,
          ...(c.context ? {context: c.context} : {}),
        })),
      ]
    }),
  )
  const certificates: CertificateRow[] = [...cas, row('svcgw-server', 'server', keys.server.cert), ...clientRows.flat()]
  return {
    mode,
    certificates,
    revoked: registry.revoked.length,
    warnDays,
    expiringSoon: certificates.filter((c) => c.state === 'current' && c.daysLeft < warnDays).map((c) => c.name),
    superseded: certificates.filter((c) => c.state === 'superseded').map((c) => `${c.name} (${c.serial})`),
    behind: certificates.filter((c) => c.provider === 'behind').map((c) => c.name),
    onPreviousCa: certificates.filter((c) => c.ca === 'previous').map((c) => c.name),
    ...(rotation
      ? {caRotation: {current: rotation.current.serial, previous: rotation.previous.serial, next: rotation.next, waiting: [...new Set([...rotation.notMoved, ...rotation.trustingPrevious])]}}
      : {}),
  }
}
