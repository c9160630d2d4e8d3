import {daysLeft, inspectCertificate} from '../../pki/inspect.js'
import {Home} from '../home.js'
import {requireServerSecrets} from '../key-material.js'

export interface CertificateRow {
  name: string
  kind: 'ca' | 'server' | 'client'
  serial: string
  notAfter: string
  daysLeft: number
  context?: string
}

export interface CertsStatus {
  certificates: CertificateRow[]
  revoked: number
  warnDays: number
  expiringSoon: string[]
}

export async function certsStatus(home: Home, warnDays: number): Promise<CertsStatus> {
  const {registry} = await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const row = (name: string, kind: CertificateRow['kind'], pem: string): CertificateRow => {
    const info = inspectCertificate(pem)
    return {name, kind, serial: info.serial, notAfter: info.notAfter.toISOString(), daysLeft: daysLeft(info.notAfter)}
  }
  const certificates = [
    row('svcgw-ca', 'ca', secrets.ca.cert),
    row('svcgw-server', 'server', secrets.server.cert),
    ...registry.clients.map((c) => ({
      name: c.name,
      kind: 'client' as const,
      serial: c.serial,
      notAfter: c.notAfter,
      daysLeft: daysLeft(new Date(c.notAfter)),
      ...(c.context ? {context: c.context} : {}),
    })),
  ]
  return {
    certificates,
    revoked: registry.revoked.length,
    warnDays,
    expiringSoon: certificates.filter((c) => c.daysLeft < warnDays).map((c) => c.name),
  }
}
