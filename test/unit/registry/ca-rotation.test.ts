import {strict as assert} from 'node:assert'

import {SvcgwError} from '../../../src/errors.js'
import {
  beginCaRotation,
  caRotation,
  clientTrustNow,
  finishCaRotation,
  moveServer,
  recordClientKeys,
  serverTrustOf,
} from '../../../src/registry/ca-rotation.js'
import {assertUsableSerial, registerClient, replaceCertificate, revokeSerial} from '../../../src/registry/changes.js'
import {emptyRegistry, type Registry} from '../../../src/registry/types.js'

const NET = '10.8.0.0/24'
const cert = (serial: string) => ({serial, notAfter: '2030-01-01T00:00:00.000Z'})

function installed(): Registry {
  const registry: Registry = {...emptyRegistry(), certificates: {ca: cert('0a'), server: {...cert('5e'), ca: '0a'}}}
  for (const [name, serial] of [['b', 'b1'], ['c', 'c1']]) registerClient(registry, NET, {name, namespace: 'svcgw', endpoint: 'gw:1194', context: `ctx-${name}`, certificate: cert(serial)})
  return registry
}

const conflict = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof SvcgwError && e.errorClass === 'conflict' && pattern.test(e.message))

describe('CA rotation (pure functions)', () => {
  it('begins with the new CA issuing and both trusted by the server; clients need both while the server may show its old certificate', () => {
    const registry = installed()
    assert.equal(caRotation(registry), undefined)
    assert.deepEqual(clientTrustNow(registry), ['0a'])
    beginCaRotation(registry, cert('0b'))
    assert.equal(registry.certificates?.ca?.serial, '0b')
    assert.equal(registry.certificates?.previousCa?.serial, '0a')
    assert.deepEqual(serverTrustOf(registry), ['0b', '0a'])
    assert.deepEqual(clientTrustNow(registry), ['0b', '0a'])
    // What every peer holds is written down, so the steps can be told apart.
    assert.deepEqual(registry.clients.map((c) => [c.ca, c.trust]), [['0a', ['0a']], ['0a', ['0a']]])
    const rotation = caRotation(registry)!
    assert.equal(rotation.next, 'clients')
    assert.deepEqual(rotation.notMoved, ['b', 'c'])
  })

  it('converges when begun again with the same CA, and refuses another CA while one rotation runs', () => {
    const registry = installed()
    beginCaRotation(registry, cert('0b'))
    beginCaRotation(registry, cert('0b'))
    assert.equal(registry.certificates?.previousCa?.serial, '0a')
    conflict(() => beginCaRotation(registry, cert('0c')), /still in progress/)
  })

  it('moves the server only once every client holds a new-CA certificate and trusts the new CA; then the old CA is revoked and trusted no more', () => {
    const registry = installed()
    beginCaRotation(registry, cert('0b'))
    conflict(() => moveServer(registry, cert('5f')), /b, c still hold or trust the previous CA/)
    replaceCertificate(registry, 'b', cert('b2'))
    recordClientKeys(registry, 'b', {ca: '0b', trust: ['0b', '0a']})
    assert.deepEqual(caRotation(registry)!.notMoved, ['c'], 'c, unreached, keeps working on the old CA')
    conflict(() => finishCaRotation(registry), /the server, c/)
    replaceCertificate(registry, 'c', cert('c2'))
    recordClientKeys(registry, 'c', {ca: '0b', trust: ['0b', '0a']})
    assert.equal(caRotation(registry)!.next, 'server')
    moveServer(registry, cert('5f'))
    assert.deepEqual(serverTrustOf(registry), ['0b'])
    assert.ok(registry.revoked.some((r) => r.serial === '0a'), "the old CA's serial is revoked (refused at depth 1)")
    assert.ok(registry.revoked.some((r) => r.serial === 'b1') && registry.revoked.some((r) => r.serial === 'c1'), 'old client serials revoked as they moved')
    assert.equal(caRotation(registry)!.next, 'clients-trust')
    assert.deepEqual(clientTrustNow(registry), ['0b'], 'the server shows a new-CA certificate now')
  })

  it('finishes once no client trusts the old CA any more, and forgets it', () => {
    const registry = installed()
    beginCaRotation(registry, cert('0b'))
    for (const [name, serial] of [['b', 'b2'], ['c', 'c2']]) {
      replaceCertificate(registry, name, cert(serial))
      recordClientKeys(registry, name, {ca: '0b', trust: ['0b', '0a']})
    }
    moveServer(registry, cert('5f'))
    recordClientKeys(registry, 'b', {ca: '0b', trust: ['0b']})
    conflict(() => finishCaRotation(registry), /c$/)
    recordClientKeys(registry, 'c', {ca: '0b', trust: ['0b']})
    assert.equal(caRotation(registry)!.next, 'finish')
    assert.equal(finishCaRotation(registry), '0a')
    assert.equal(caRotation(registry), undefined)
    assert.equal(registry.certificates?.previousCa, undefined)
    assert.deepEqual(serverTrustOf(registry), ['0b'])
  })

  it('never records or revokes a serial that is a CA\'s, nor records one that is revoked (serials are checked at every depth)', () => {
    const registry = installed()
    conflict(() => revokeSerial(registry, '0a', 'b'), /is a CA's/)
    conflict(() => replaceCertificate(registry, 'b', cert('0a')), /serial of a CA/)
    revokeSerial(registry, 'dead', 'b')
    conflict(() => assertUsableSerial(registry, 'dead', 'x'), /revoked/)
    conflict(() => registerClient(registry, NET, {name: 'd', namespace: 'svcgw', endpoint: 'gw:1194', certificate: cert('0a')}), /serial of a CA/)
  })
})
