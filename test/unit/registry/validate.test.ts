import {strict as assert} from 'node:assert'

import {DEFAULT_IMAGES} from '../../../src/dataplane/images.js'
import {HEALTH_PORT, STATS_PORT} from '../../../src/dataplane/layout.js'
import {freshServerSecrets} from '../../../src/gateway/secrets.js'
import {renderServer} from '../../../src/render/server.js'
import {defaultSettings} from '../../../src/registry/settings.js'
import {allocateInternalPort, allocateTunnelIP, netmaskOf, parseNetwork, serverTunnelIP} from '../../../src/registry/allocate.js'
import {emptyRegistry, type ExposedService, type Registry} from '../../../src/registry/types.js'
import {validateClientName, validateRegistry, validateServiceName} from '../../../src/registry/validate.js'
import {errorOf} from '../../support/error-of.js'

const svc = (name: string, internalPort: number, extra: Partial<ExposedService> = {}): ExposedService => ({
  name,
  port: 80,
  internalPort,
  clientService: {name, namespace: 'default', port: 80},
  ...extra,
})


describe('registry validation', () => {
  it('accepts DNS-1035 names and rejects others with a fix', () => {
    for (const good of ['nginx', 'a', 'web-1', 'a'.repeat(63)]) validateServiceName(good)
    for (const bad of ['1web', 'Web', 'web-', 'we_b', 'a'.repeat(64), '', 'web.default']) {
      const error = errorOf(() => validateServiceName(bad))
      assert.equal(error.exitCode, 2)
      assert.match(error.line, /invalid service name .*: use at most 63 lowercase/)
    }
  })

  it('rejects ports outside 1-65535', () => {
    for (const port of [0, 65_536, -1, 1.5]) {
      const registry: Registry = {...emptyRegistry(), services: [svc('web', 20_000, {port})]}
      assert.match(errorOf(() => validateRegistry(registry)).line, /invalid port/)
    }
    const registry: Registry = {...emptyRegistry(), services: [svc('web', 20_000, {clientService: {name: 'web', namespace: 'default', port: 70_000}})]}
    assert.match(errorOf(() => validateRegistry(registry)).line, /clientService port/)
  })

  it('requires unique names and unique internalPorts', () => {
    const dupName: Registry = {...emptyRegistry(), services: [svc('web', 20_000), svc('web', 20_001)]}
    assert.match(errorOf(() => validateRegistry(dupName)).line, /exposed twice/)
    const dupPort: Registry = {...emptyRegistry(), services: [svc('web', 20_000), svc('api', 20_000)]}
    assert.match(errorOf(() => validateRegistry(dupPort)).line, /internalPort 20000 is used by both "web" and "api"/)
    validateRegistry({...emptyRegistry(), services: [svc('web', 20_000), svc('api', 20_001)]})
  })

  it("keeps internalPorts off the gateway's own port", () => {
    const registry: Registry = {...emptyRegistry(), services: [svc('web', 1194)]}
    assert.match(errorOf(() => validateRegistry(registry, [1194])).line, /gateway's own port/)
  })

  it('rejects a service naming an unregistered client', () => {
    const registry: Registry = {...emptyRegistry(), services: [svc('web', 20_000, {clients: ['ghost']})]}
    assert.match(errorOf(() => validateRegistry(registry)).line, /names client "ghost"/)
  })

  it('checks client names', () => {
    validateClientName('ctx-b')
    assert.match(errorOf(() => validateClientName('Ctx_B')).line, /--name/)
  })
})

describe('registry allocation', () => {
  it('hands out the lowest free internalPort', () => {
    const registry: Registry = {...emptyRegistry(), services: [svc('a', 20_000), svc('b', 20_002)]}
    assert.equal(allocateInternalPort(registry), 20_001)
    assert.equal(allocateInternalPort(emptyRegistry()), 20_000)
  })

  it('hands out tunnel IPs above the server block and never twice', () => {
    const registry = emptyRegistry()
    const first = allocateTunnelIP(registry, '10.8.0.0/24')
    assert.equal(first, '10.8.0.10')
    registry.clients.push({name: 'a', tunnelIP: first, serial: '1', notAfter: ''})
    assert.equal(allocateTunnelIP(registry, '10.8.0.0/24'), '10.8.0.11')
    assert.equal(serverTunnelIP('10.8.0.0/24'), '10.8.0.1')
    assert.equal(netmaskOf('10.8.0.0/24'), '255.255.255.0')
  })

  it('reports a full network as a conflict', () => {
    const registry = emptyRegistry()
    for (let i = 10; i < 15; i++) registry.clients.push({name: `c${i}`, tunnelIP: `10.9.0.${i}`, serial: '1', notAfter: ''})
    const error = errorOf(() => allocateTunnelIP(registry, '10.9.0.0/28'))
    assert.equal(error.errorClass, 'conflict')
  })

  it('rejects malformed networks', () => {
    for (const bad of ['10.8.0.0', '10.8.0.0/8', '10.8.0.300/24', 'x/24']) assert.throws(() => parseNetwork(bad), /invalid tunnel network/)
  })
})

describe('ports the gateway keeps for itself', () => {
  it('refuses an internalPort on the stats or health port, through the renderers', () => {
    const secrets = freshServerSecrets({caDays: 10, certDays: 5})
    for (const port of [STATS_PORT, HEALTH_PORT, 1194]) {
      const registry: Registry = {...emptyRegistry(), services: [svc('web', port)]}
      assert.match(errorOf(() => renderServer(registry, secrets, defaultSettings(DEFAULT_IMAGES), 'svcgw')).line, /gateway's own port/)
    }
  })
})
