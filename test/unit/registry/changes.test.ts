import {strict as assert} from 'node:assert'

import {
  addServices,
  forgetClient,
  registerClient,
  removeServices,
  replaceCertificate,
  revokeSerial,
  revokeSuperseded,
  supersedeCertificate,
} from '../../../src/registry/changes.js'
import {emptyRegistry, type Registry} from '../../../src/registry/types.js'
import {parseEndpoint, validateAddress, validateClusterDomain, validateSettings} from '../../../src/registry/validate.js'
import {defaultSettings} from '../../../src/registry/settings.js'
import {errorOf} from '../../support/error-of.js'

const RESERVED = [1194, 8404, 8405]
const cert = (serial: string) => ({serial, notAfter: '2030-01-01T00:00:00.000Z'})
const request = (name: string, extra = {}) => ({name, port: 80, clientService: {name, namespace: 'default', port: 80}, ...extra})


function withClient(name = 'b', serial = 'aa'): Registry {
  const registry = emptyRegistry()
  registerClient(registry, '10.8.0.0/24', {name, context: `ctx-${name}`, namespace: 'svcgw', endpoint: '192.0.2.1:1194', certificate: cert(serial)})
  return registry
}

describe('registry changes (pure functions)', () => {
  it('addServices allocates the lowest free internalPort, skipping reserved ports, and converges on an identical re-expose', () => {
    const registry = emptyRegistry()
    const [a] = addServices(registry, [request('a')], [...RESERVED, 20_000])
    assert.equal(a.internalPort, 20_001, 'a port in the reserved list is skipped')
    const [again] = addServices(registry, [request('a')], RESERVED)
    assert.deepEqual(again, a)
    assert.equal(registry.services.length, 1)
  })

  it('addServices refuses a different target under a taken name, and a taken internalPort, changing nothing', () => {
    const registry = emptyRegistry()
    addServices(registry, [request('a', {internalPort: 21_000})], RESERVED)
    const before = JSON.stringify(registry)
    assert.match(errorOf(() => addServices(registry, [request('a', {port: 81})], RESERVED)).line, /"a" is already exposed/)
    const clash = errorOf(() => addServices(structuredClone(registry), [request('b', {internalPort: 21_000})], RESERVED))
    assert.equal(clash.exitCode, 4)
    assert.match(clash.line, /internalPort 21000 of "b" is used by "a"/)
    assert.equal(JSON.stringify(registry), before)
  })

  it('addServices with overwrite retargets a service in place, keeping its internalPort', () => {
    const registry = withClient('b')
    const [a] = addServices(registry, [request('a', {clients: ['b']})], RESERVED)
    const [moved] = addServices(registry, [{...request('a'), clientService: {name: 'other', namespace: 'shop', port: 8080}}], RESERVED, true)
    assert.equal(moved.internalPort, a.internalPort)
    assert.deepEqual(moved.clientService, {name: 'other', namespace: 'shop', port: 8080})
    assert.equal(moved.clients, undefined, 'the new request decides who serves it')
    assert.equal(registry.services.length, 1)
  })

  it('removeServices names a service that is not exposed', () => {
    const registry = emptyRegistry()
    addServices(registry, [request('a')], RESERVED)
    assert.equal(errorOf(() => removeServices(registry, ['a', 'zz'])).exitCode, 3)
    assert.deepEqual(removeServices(registry, ['a']).map((s) => s.name), ['a'])
    assert.equal(registry.services.length, 0)
  })

  it('registerClient gives a new client the next tunnel IP and keeps the IP and certificate of an existing one', () => {
    const registry = withClient('b', 'aa')
    registerClient(registry, '10.8.0.0/24', {name: 'c', context: 'ctx-c', namespace: 'svcgw', endpoint: '192.0.2.1:1194', certificate: cert('cc')})
    assert.deepEqual(registry.clients.map((c) => c.tunnelIP), ['10.8.0.10', '10.8.0.11'])
    registerClient(registry, '10.8.0.0/24', {name: 'b', context: 'ctx-b2', namespace: 'other', endpoint: '192.0.2.9:1194', certificate: cert('new')})
    const b = registry.clients.find((c) => c.name === 'b')!
    assert.equal(b.tunnelIP, '10.8.0.10')
    assert.equal(b.serial, 'aa', 'an existing client keeps its certificate: replacing it is replaceCertificate')
    assert.deepEqual([b.context, b.namespace, b.endpoint], ['ctx-b2', 'other', '192.0.2.9:1194'])
    assert.equal(registry.revoked.length, 0)
  })

  it('replaceCertificate records the new serial and revokes the old one in the same change', () => {
    const registry = withClient('b', 'aa')
    assert.deepEqual(replaceCertificate(registry, 'b', cert('bb')), {revoked: 'aa'})
    assert.equal(registry.clients[0].serial, 'bb')
    assert.deepEqual(registry.revoked.map((r) => [r.serial, r.commonName]), [['aa', 'b']])
    assert.deepEqual(replaceCertificate(registry, 'b', cert('bb')), {}, 'the same certificate again is no change')
    assert.equal(registry.revoked.length, 1)
  })

  it('supersedeCertificate keeps the old certificate valid and listed until revokeSuperseded', () => {
    const registry = withClient('b', 'aa')
    supersedeCertificate(registry, 'b', cert('bb'))
    assert.equal(registry.clients[0].serial, 'bb')
    assert.deepEqual(registry.clients[0].superseded?.map((s) => s.serial), ['aa'])
    assert.equal(registry.revoked.length, 0, 'not revoked yet: the provider may still run it')
    assert.deepEqual(revokeSuperseded(registry, 'b'), ['aa'])
    assert.equal(registry.clients[0].superseded, undefined)
    assert.deepEqual(registry.revoked.map((r) => r.serial), ['aa'])
  })

  it('forgetClient revokes every certificate the client held and drops it from services that named it', () => {
    const registry = withClient('b', 'aa')
    supersedeCertificate(registry, 'b', cert('bb'))
    addServices(registry, [request('x', {clients: ['b']})], RESERVED)
    forgetClient(registry, 'b')
    assert.equal(registry.clients.length, 0)
    assert.deepEqual(registry.revoked.map((r) => r.serial).sort(), ['aa', 'bb'])
    assert.deepEqual(registry.services[0].clients, [])
  })

  it('revokeSerial adds a serial once', () => {
    const registry = emptyRegistry()
    assert.equal(revokeSerial(registry, 'aa', 'b'), true)
    assert.equal(revokeSerial(registry, 'aa', 'b'), false)
    assert.equal(registry.revoked.length, 1)
  })
})

describe('validation of values that reach config files', () => {
  it('accepts host names and IP addresses as an address, and nothing that could carry a second line or option', () => {
    for (const good of ['gw.example.com', '192.0.2.10', '2001:db8::1', 'svcgw-server.gw.svc.cluster.local', 'localhost']) validateAddress(good)
    for (const bad of ['1.2.3.4\nplugin /x', 'a; rm', 'gw.example.com:443', 'http://gw', '-x', '', 'a b', 'a'.repeat(64)]) {
      assert.equal(errorOf(() => validateAddress(bad)).exitCode, 2, JSON.stringify(bad))
    }
  })

  it('accepts DNS domains as a cluster domain only', () => {
    validateClusterDomain('cluster.local')
    for (const bad of ['a; rm', 'cluster.local\n  server x', '', '.local']) assert.equal(errorOf(() => validateClusterDomain(bad)).exitCode, 2)
  })

  it('checks every stored setting again, so a hand-edited registry cannot smuggle a line into a config', () => {
    const settings = defaultSettings({openvpn: 'a/b:1', haproxy: 'c/d:2'})
    validateSettings(settings)
    assert.match(errorOf(() => validateSettings({...settings, address: '1.2.3.4\nup /bin/sh'})).line, /invalid --address/)
    assert.match(errorOf(() => validateSettings({...settings, clusterDomain: 'x\ny'})).line, /invalid --cluster-domain/)
    assert.match(errorOf(() => validateSettings({...settings, images: {...settings.images, haproxy: 'x y'}})).line, /invalid --haproxy-image/)
  })

  it('parses a stored endpoint, IPv6 included, and refuses a broken one', () => {
    assert.deepEqual(parseEndpoint('192.0.2.1:31194'), {address: '192.0.2.1', port: 31_194})
    assert.deepEqual(parseEndpoint('[2001:db8::1]:1194'), {address: '2001:db8::1', port: 1194})
    assert.equal(errorOf(() => parseEndpoint('x\ny:1194')).exitCode, 2)
  })
})
