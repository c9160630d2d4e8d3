import {X509Certificate} from 'node:crypto'

export interface CertificateInfo {
  commonName: string
  issuerCommonName: string
  /** Lowercase hex, no leading zeros (as OpenSSL prints it, lowercased). */
  serial: string
  notBefore: Date
  notAfter: Date
  /** SHA-256, colon-separated uppercase hex as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string
  isCA: boolean
  extendedKeyUsage: string[]
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
}

function commonNameOf(distinguishedName: string): string {
  const match = /(?:^|\n)CN=([^\n]*)/.exec(distinguishedName)
  return match ? match[1] : ''
}

/** Reads a PEM certificate with node's native X.509 parser. */
export function inspectCertificate(pem: string): CertificateInfo {
  const x509 = new X509Certificate(pem)
  return {
    commonName: commonNameOf(x509.subject),
    issuerCommonName: commonNameOf(x509.issuer),
    serial: x509.serialNumber.toLowerCase().replace(/^0+/, ''),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    fingerprint: x509.fingerprint256,
    isCA: x509.ca,
    extendedKeyUsage: (x509.keyUsage ?? []).map((oid) => EKU_NAMES[oid] ?? oid),
  }
}

/** True when `pem` was signed by the CA certificate `caPem` and is within its validity. */
export function isIssuedBy(pem: string, caPem: string, at: Date = new Date()): boolean {
  const cert = new X509Certificate(pem)
  const ca = new X509Certificate(caPem)
  const info = inspectCertificate(pem)
  return cert.checkIssued(ca) && cert.verify(ca.publicKey) && info.notBefore <= at && at <= info.notAfter
}

/** OpenVPN's `crl-verify DIR dir` names revoked-serial files in decimal. */
export function serialToDecimal(hexSerial: string): string {
  return BigInt(`0x${hexSerial}`).toString(10)
}

export function daysLeft(notAfter: Date, now: Date = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / (24 * 60 * 60 * 1000))
}
