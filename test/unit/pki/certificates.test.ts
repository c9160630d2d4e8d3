import {strict as assert} from 'node:assert'

import {createCA, issueClientCertificate, issueServerCertificate} from '../../../src/pki/certificates.js'
import {daysLeft, inspectCertificate, isIssuedBy, serialToDecimal} from '../../../src/pki/inspect.js'
import {generateTlsCryptKey, isTlsCryptKey} from '../../../src/pki/tls-crypt.js'
import {openssl} from '../../support/openssl.js'

const DAY = 86_400_000


describe('pki', () => {
  const ca = createCA({commonName: 'test-ca'})
  const server = issueServerCertificate(ca, {commonName: 'svcgw-server', dnsNames: ['gw.example.com'], ipAddresses: ['192.0.2.7']})
  const client = issueClientCertificate(ca, {commonName: 'ctx-b'})

  it('issues a CA with 10-year validity by default and CA basic constraints', () => {
    const info = inspectCertificate(ca.cert)
    assert.equal(info.isCA, true)
    assert.equal(info.commonName, 'test-ca')
    assert.ok(Math.abs(daysLeft(info.notAfter) - 3650) <= 1, `CA days left: ${daysLeft(info.notAfter)}`)
  })

  it('issues leaves for 3 years by default, with the CN asked for', () => {
    const info = inspectCertificate(client.cert)
    assert.equal(info.commonName, 'ctx-b')
    assert.equal(info.issuerCommonName, 'test-ca')
    assert.equal(info.isCA, false)
    assert.ok(Math.abs(daysLeft(info.notAfter) - 1095) <= 1)
  })

  it('honours explicit validity', () => {
    const notBefore = new Date(Date.now() - 10 * DAY)
    const notAfter = new Date(Date.now() - DAY)
    const expired = issueClientCertificate(ca, {commonName: 'old', notBefore, notAfter})
    const info = inspectCertificate(expired.cert)
    assert.equal(info.notAfter.getTime() / 1000, Math.floor(notAfter.getTime() / 1000))
    assert.equal(isIssuedBy(expired.cert, ca.cert), false, 'an expired certificate is not valid now')
    const short = issueClientCertificate(ca, {commonName: 'short', validityDays: 7})
    assert.ok(Math.abs(daysLeft(inspectCertificate(short.cert).notAfter) - 7) <= 1)
  })

  it('carries serverAuth on the server and clientAuth on the client', () => {
    assert.deepEqual(inspectCertificate(server.cert).extendedKeyUsage, ['serverAuth'])
    assert.deepEqual(inspectCertificate(client.cert).extendedKeyUsage, ['clientAuth'])
  })

  it('verifies with openssl against its CA, with the right purpose', () => {
    const files = {'ca.crt': ca.cert, 'server.crt': server.cert, 'client.crt': client.cert}
    assert.match(openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslserver', 'server.crt'], files), /server.crt: OK/)
    assert.match(openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslclient', 'client.crt'], files), /client.crt: OK/)
    assert.throws(() => openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslserver', 'client.crt'], files))
  })

  it('does not verify against another CA', () => {
    const other = createCA({commonName: 'other'})
    assert.equal(isIssuedBy(client.cert, other.cert), false)
    assert.throws(() => openssl(['verify', '-CAfile', 'ca.crt', 'client.crt'], {'ca.crt': other.cert, 'client.crt': client.cert}))
  })

  it('puts server names in subjectAltName', () => {
    const text = openssl(['x509', '-in', 'server.crt', '-noout', '-ext', 'subjectAltName'], {'server.crt': server.cert})
    assert.match(text, /DNS:gw\.example\.com/)
    assert.match(text, /IP Address:192\.0\.2\.7/)
  })

  it('gives random 128-bit serials that inspection reads back, and OpenVPN decimal form', () => {
    const serials = new Set(Array.from({length: 5}, () => issueClientCertificate(ca, {commonName: 'x'}).serial))
    assert.equal(serials.size, 5)
    for (const serial of serials) assert.ok(serial.length <= 32 && serial.length >= 25, serial)
    assert.equal(inspectCertificate(client.cert).serial, client.serial)
    const opensslSerial = openssl(['x509', '-in', 'c.crt', '-noout', '-serial'], {'c.crt': client.cert}).trim().split('=')[1]
    assert.equal(BigInt(`0x${opensslSerial}`).toString(10), serialToDecimal(client.serial))
  })

  it('reports the SHA-256 fingerprint openssl reports', () => {
    const text = openssl(['x509', '-in', 'c.crt', '-noout', '-fingerprint', '-sha256'], {'c.crt': client.cert})
    assert.equal(text.trim().split('=')[1], inspectCertificate(client.cert).fingerprint)
  })

  it('keeps private keys in PKCS#8 PEM that openssl reads and that match the certificate', () => {
    const files = {'c.crt': client.cert, 'c.key': client.key}
    const fromCert = openssl(['x509', '-in', 'c.crt', '-noout', '-pubkey'], files)
    const fromKey = openssl(['pkey', '-in', 'c.key', '-pubout'], files)
    assert.equal(fromCert, fromKey)
    assert.match(client.key, /^-----BEGIN PRIVATE KEY-----/)
  })

  it('writes tls-crypt keys in OpenVPN static key V1 format, different each time', () => {
    const a = generateTlsCryptKey()
    const b = generateTlsCryptKey()
    assert.ok(isTlsCryptKey(a))
    assert.notEqual(a, b)
    assert.equal(isTlsCryptKey(a.replace(/[0-9a-f]{32}\n-----END/, '\n-----END')), false)
  })
})
