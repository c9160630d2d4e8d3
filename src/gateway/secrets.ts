import {createCA, issueClientCertificate, issueServerCertificate, type IssuedCertificate, type KeyPair} from '../pki/certificates.js'
import {generateTlsCryptKey} from '../pki/tls-crypt.js'
import {SERVER_COMMON_NAME} from '../render/names.js'
import type {ServerSecrets} from '../render/server.js'

export interface Lifetimes {
  caDays: number
  certDays: number
}

/** A new CA, server certificate and tls-crypt key, as `server install` creates on first run. */
export function freshServerSecrets(lifetimes: Lifetimes, serverNames: {dnsNames?: string[]; ipAddresses?: string[]} = {}): ServerSecrets & {ca: KeyPair} {
  const ca = createCA({validityDays: lifetimes.caDays})
  return {ca, server: issueServerCert(ca, lifetimes.certDays, serverNames), tlsCrypt: generateTlsCryptKey()}
}

/** `commonName`: an adopted chart's server name (settings.serverName), which its clients verify. */
export function issueServerCert(ca: KeyPair, days: number, serverNames: {dnsNames?: string[]; ipAddresses?: string[]; commonName?: string} = {}): IssuedCertificate {
  return issueServerCertificate(ca, {commonName: SERVER_COMMON_NAME, validityDays: days, ...serverNames})
}

export function issueClientCert(ca: KeyPair, clientName: string, days: number): IssuedCertificate {
  return issueClientCertificate(ca, {commonName: clientName, validityDays: days})
}
