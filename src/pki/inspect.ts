import {createPrivateKey, createPublicKey, X509Certificate} from 'node:crypto'

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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/** The certificates of a PEM bundle (a ca.crt with several CAs), each ending in a newline. */
export function splitPemBundle(text: string): string[] {
  return (text.match(PEM_CERTIFICATE) ?? []).map((pem) => `${pem}\n`)
}

/**
 * One certificate's PEM as bundles hold it: node-forge writes CRLF and a
 * final CRLF, a bundle read back splits to a final LF. Rendered from either,
 * a re-run would rewrite every ca.crt (and dry runs would show a change).
 */
export const normalPem = (pem: string): string => splitPemBundle(pem)[0] ?? pem

/** A bundle of certificates, each once (by serial), in the order given. */
export function pemBundle(pems: string[]): string {
  const seen = new Set<string>()
  const out: string[] = []
  for (const pem of pems.flatMap(splitPemBundle)) {
    const serial = inspectCertificate(pem).serial
    if (seen.has(serial)) continue
    seen.add(serial)
    out.push(pem)
  }
  return out.join('')
}

/** Which of the CA certificates (a bundle or a list) signed `pem`, whether or not it is still valid. */
export function issuerAmong(pem: string, caPems: string[]): string | undefined {
  const cert = new X509Certificate(pem)
  return caPems.flatMap(splitPemBundle).find((ca) => {
    const x = new X509Certificate(ca)
    return cert.checkIssued(x) && cert.verify(x.publicKey)
  })
}

/** Whether a PEM private key belongs to a certificate (its public key). */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    const pub = createPublicKey(createPrivateKey(keyPem)).export({type: 'spki', format: 'der'})
    return pub.equals(new X509Certificate(certPem).publicKey.export({type: 'spki', format: 'der'}))
  } catch {
    return false
  }
}
