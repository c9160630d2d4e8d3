import {strict as assert} from 'node:assert'
import {generateKeyPairSync} from 'node:crypto'

import {planAdoption, type ChartInstall} from '../../../src/gateway/adopt/chart-plan.js'
import {createCA, issueClientCertificate, issueServerCertificate, type KeyPair} from '../../../src/pki/certificates.js'
import {inspectCertificate} from '../../../src/pki/inspect.js'
import {errorOf} from '../../support/error-of.js'

// The chart's Secrets, issued the way its manual mode (or cert-manager's CA Issuer) would: one CA, a serverAuth server, clientAuth clients.
const ca = createCA({commonName: 'chart-ca'})
const otherCa = createCA({commonName: 'other-ca'})
const server = issueServerCertificate(ca, {commonName: 'service-gw-server'})
const clientA = issueClientCertificate(ca, {commonName: 'provider-a'})
const clientB = issueClientCertificate(ca, {commonName: 'provider-b'})
const data = (pair: KeyPair, caPem = ca.cert) => ({'tls.crt': pair.cert, 'tls.key': pair.key, 'ca.crt': caPem})

const chart = (change: Partial<ChartInstall> = {}): ChartInstall => ({
  serverNamespace: 'server',
  server: data(server),
  clients: [
    {context: 'ctx-a', namespace: 'client', secret: data(clientA)},
    {context: 'ctx-b', namespace: 'client', secret: data(clientB)},
  ],
  services: [{name: 'nginx', port: 80, internalPort: 20080, clientService: {name: 'nginx', namespace: 'default', port: 80}}],
  tunnelNetwork: '10.8.0.0/24',
  ...change,
})

describe('adopting a chart install (pure plan)', () => {
  it('records each client by its CN with the serial it holds, and the services as the values file lists them', () => {
    const plan = planAdoption(chart())
    assert.deepEqual(plan.registry.clients.map((c) => [c.name, c.serial, c.context, c.namespace]), [
      ['provider-a', inspectCertificate(clientA.cert).serial, 'ctx-a', 'client'],
      ['provider-b', inspectCertificate(clientB.cert).serial, 'ctx-b', 'client'],
    ])
    assert.equal(new Set(plan.registry.clients.map((c) => c.tunnelIP)).size, 2)
    assert.deepEqual(plan.registry.services.map((s) => [s.name, s.internalPort]), [['nginx', 20080]])
    assert.equal(plan.registry.certificates?.ca?.serial, inspectCertificate(ca.cert).serial)
    assert.equal(plan.registry.certificates?.server?.serial, inspectCertificate(server.cert).serial)
  })

  it('without a CA key the mode is self with noCaKey; with one it is plain self and the key matches', () => {
    assert.deepEqual(planAdoption(chart()).pki, {mode: 'self', noCaKey: true})
    const withKey = planAdoption(chart({caKey: {pem: ca.key, source: 'file'}}))
    assert.deepEqual(withKey.pki, {mode: 'self'})
    assert.equal(withKey.ca.key, ca.key)
  })

  it('refuses a client certificate of another CA, naming the provider', () => {
    const error = errorOf(() => planAdoption(chart({clients: [{context: 'ctx-x', namespace: 'client', secret: data(issueClientCertificate(otherCa, {commonName: 'x'}))}]})))
    assert.match(error.message, /ctx-x.*not signed by the server's CA chart-ca/)
  })

  it('refuses a missing Secret key and a missing Secret, naming the key and the flag that fixes it', () => {
    const {'tls.key': _dropped, ...noKey} = data(clientA)
    assert.match(errorOf(() => planAdoption(chart({clients: [{context: 'ctx-a', namespace: 'client', secret: noKey}]}))).message, /service-gw-client-certificates.*has no tls\.key/)
    const missing = errorOf(() => planAdoption(chart({server: undefined})))
    assert.match(missing.message, /service-gw-server-certificates in namespace server does not exist/)
  })

  it('refuses a server certificate that is not for serverAuth, and a CA key of another CA', () => {
    assert.match(errorOf(() => planAdoption(chart({server: data(clientA)}))).message, /not for serverAuth/)
    assert.match(errorOf(() => planAdoption(chart({caKey: {pem: otherCa.key, source: 'file'}}))).message, /does not belong to the CA/)
  })

  it('an ECDSA CA key cannot sign here: refused from --ca-key-file, left out (noCaKey, with a note) from cert-manager', () => {
    const ec = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
    assert.match(errorOf(() => planAdoption(chart({caKey: {pem: ec, source: 'file'}}))).message, /not an RSA key/)
    const plan = planAdoption(chart({caKey: {pem: ec, source: 'cert-manager'}}))
    assert.deepEqual(plan.pki, {mode: 'self', noCaKey: true})
    assert.match(plan.notes.join(), /not RSA/)
  })

  it('refuses two providers whose certificates share a CN', () => {
    const twin = issueClientCertificate(ca, {commonName: 'provider-a'})
    const error = errorOf(() => planAdoption(chart({clients: [{context: 'ctx-a', namespace: 'client', secret: data(clientA)}, {context: 'ctx-c', namespace: 'client', secret: data(twin)}]})))
    assert.match(error.message, /same CN "provider-a"/)
  })
})
