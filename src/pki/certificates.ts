import {generateKeyPairSync, randomBytes} from 'node:crypto'
import forge from 'node-forge'

const DAY_MS = 24 * 60 * 60 * 1000

export const DEFAULT_CA_VALIDITY_DAYS = 3650
export const DEFAULT_LEAF_VALIDITY_DAYS = 1095

/** PEM-encoded certificate and its PEM (PKCS#8) private key. */
export interface KeyPair {
  cert: string
  key: string
}

export interface IssuedCertificate extends KeyPair {
  /** Lowercase hex, no leading zeros. */
  serial: string
}

export interface Validity {
  validityDays?: number
  /** Overrides for tests and migrations; default: now and now + validityDays. */
  notBefore?: Date
  notAfter?: Date
}

export interface CAOptions extends Validity {
  commonName?: string
}

export interface ServerCertificateOptions extends Validity {
  commonName: string
  dnsNames?: string[]
  ipAddresses?: string[]
}

export interface ClientCertificateOptions extends Validity {
  commonName: string
  /** Subject O; Kubernetes reads it as the user's groups. */
  organization?: string
}

// node:crypto generates RSA keys natively (forge's pure-JS keygen takes seconds);
// forge only builds and signs the certificates.
function newKeyPair(): {forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string} {
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const pem = privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey
  return {forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem}
}

/** 128 random bits with the top bit cleared, so the DER integer stays positive. */
function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] &= 0x7f
  if (bytes[0] === 0) bytes[0] = 0x01
  return bytes.toString('hex')
}

function window(validity: Validity, defaultDays: number): {notBefore: Date; notAfter: Date} {
  const notBefore = validity.notBefore ?? new Date(Date.now() - 60_000)
  const notAfter = validity.notAfter ?? new Date(notBefore.getTime() + (validity.validityDays ?? defaultDays) * DAY_MS)
  return {notBefore, notAfter}
}

function build(
  subjectCN: string,
  publicKey: forge.pki.PublicKey,
  validity: {notBefore: Date; notAfter: Date},
  extensions: object[],
  organization?: string,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = randomSerial()
  cert.validity.notBefore = validity.notBefore
  cert.validity.notAfter = validity.notAfter
  cert.setSubject([...(organization ? [{name: 'organizationName', value: organization}] : []), {name: 'commonName', value: subjectCN}])
  cert.setExtensions(extensions)
  return cert
}

function sign(cert: forge.pki.Certificate, issuerCert: forge.pki.Certificate, issuerKey: forge.pki.PrivateKey): string {
  cert.setIssuer(issuerCert.subject.attributes)
  cert.sign(issuerKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create())
  return forge.pki.certificateToPem(cert)
}

/**
 * A CA's default name: svcgw-ca and 8 random hex digits, so that two CAs
 * trusted side by side during a CA rotation never share a subject (OpenSSL
 * finds a chain's issuer by subject first).
 */
export const newCaCommonName = (): string => `svcgw-ca-${randomBytes(4).toString('hex')}`

export function createCA(options: CAOptions = {}): KeyPair {
  const keys = newKeyPair()
  const cert = build(options.commonName ?? newCaCommonName(), keys.publicKey, window(options, DEFAULT_CA_VALIDITY_DAYS), [
    {name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0},
    {name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true},
    {name: 'subjectKeyIdentifier'},
  ])
  cert.setIssuer(cert.subject.attributes)
  cert.sign(keys.forgeKey, forge.md.sha256.create())
  return {cert: forge.pki.certificateToPem(cert), key: keys.pem}
}

function issueLeaf(ca: KeyPair, commonName: string, validity: Validity, usage: object[], organization?: string): IssuedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.cert)
  const caKey = forge.pki.privateKeyFromPem(ca.key)
  const keys = newKeyPair()
  const cert = build(commonName, keys.publicKey, window(validity, DEFAULT_LEAF_VALIDITY_DAYS), [
    {name: 'basicConstraints', cA: false, critical: true},
    {name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true},
    {name: 'subjectKeyIdentifier'},
    {name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes()},
    ...usage,
  ], organization)
  return {cert: sign(cert, caCert, caKey), key: keys.pem, serial: cert.serialNumber.replace(/^0+/, '')}
}

export function issueServerCertificate(ca: KeyPair, options: ServerCertificateOptions): IssuedCertificate {
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({type: 2, value})),
    ...(options.ipAddresses ?? []).map((ip) => ({type: 7, ip})),
  ]
  return issueLeaf(ca, options.commonName, options, [
    {name: 'extKeyUsage', serverAuth: true},
    ...(altNames.length > 0 ? [{name: 'subjectAltName', altNames}] : []),
  ])
}

export function issueClientCertificate(ca: KeyPair, options: ClientCertificateOptions): IssuedCertificate {
  return issueLeaf(ca, options.commonName, options, [{name: 'extKeyUsage', clientAuth: true}], options.organization)
}
