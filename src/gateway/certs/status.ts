import {daysLeft, inspectCertificate} from '../../pki/inspect.js'
import {Home} from '../home.js'
import {requireServerSecrets} from '../key-material.js'

export interface CertificateRow {
  name: string
  kind: 'ca' | 'server' | 'client'
  serial: string
  notAfter: string
  daysLeft: number
  /** current: in use; superseded: replaced but still valid; revoked: refused by the server. */
  state: 'current' | 'superseded' | 'revoked'
  context?: string
}

export interface CertsStatus {
  certificates: CertificateRow[]
  revoked: number
  warnDays: number
  expiringSoon: string[]
  /** Certificates still valid that a client should no longer hold. */
  superseded: string[]
}

export async function certsStatus(home: Home, warnDays: number): Promise<CertsStatus> {
  const {registry} = await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const revoked = new Set(registry.revoked.map((r) => r.serial))
  const row = (name: string, kind: CertificateRow['kind'], pem: string): CertificateRow => {
    const info = inspectCertificate(pem)
    return {name, kind, serial: info.serial, notAfter: info.notAfter.toISOString(), daysLeft: daysLeft(info.notAfter), state: 'current'}
  }
  const clientRows = registry.clients.flatMap((c) => [
    {
      name: c.name,
      kind: 'client' as const,
      serial: c.serial,
      notAfter: c.notAfter,
      daysLeft: daysLeft(new Date(c.notAfter)),
      state: revoked.has(c.serial) ? ('revoked' as const) : ('current' as const),
      ...(c.context ? {context: c.context} : {}),
    },
    ...(c.superseded ?? []).map((s) => ({
      name: c.name,
      kind: 'client' as const,
      serial: s.serial,
      notAfter: s.notAfter,
      daysLeft: daysLeft(new Date(s.notAfter)),
      state: 'superseded' as const,
      ...(c.context ? {context: c.context} : {}),
    })),
  ])
  const certificates = [row('svcgw-ca', 'ca', secrets.ca.cert), row('svcgw-server', 'server', secrets.server.cert), ...clientRows]
  return {
    certificates,
    revoked: registry.revoked.length,
    warnDays,
    expiringSoon: certificates.filter((c) => c.state === 'current' && c.daysLeft < warnDays).map((c) => c.name),
    superseded: certificates.filter((c) => c.state === 'superseded').map((c) => `${c.name} (${c.serial})`),
  }
}
