import {strict as assert} from 'node:assert'

import {defaultSettings} from '../../../src/registry/settings.js'
import {assertWithinLimits} from '../../../src/render/limits.js'
import {syntheticRegistry} from '../../../bench/scale/render.js'
import {errorOf} from '../../support/error-of.js'

describe('the 1 MiB a ConfigMap may hold', () => {
  const settings = {...defaultSettings({openvpn: 'img:1', haproxy: 'img:1'}), tunnelNetwork: '10.8.0.0/16'}

  it('admits 1000 services served by 20 clients', () => {
    assertWithinLimits(syntheticRegistry(1000, 20), settings, 'svcgw')
  })

  it('refuses 200 services served by 200 clients in one line naming the ConfigMap and the limit', () => {
    const error = errorOf(() => assertWithinLimits(syntheticRegistry(200, 200), settings, 'svcgw'))
    assert.equal(error.exitCode, 4)
    assert.match(error.line, /would make ConfigMap svcgw-server-haproxy of the server 1\.\d\d MiB, over Kubernetes' 1 MiB limit \(200 services, 200 clients\): unexpose services no longer needed, or serve services from fewer clients/)
  })

  it('refuses a registry too large to store, before anything is written', () => {
    const registry = syntheticRegistry(1, 1)
    registry.revoked = Array.from({length: 12_000}, (_, i) => ({serial: `${i}`.padStart(32, '0'), commonName: `client-${i}`, revokedAt: new Date(0).toISOString()}))
    assert.match(errorOf(() => assertWithinLimits(registry, settings, 'svcgw')).line, /ConfigMap svcgw-registry of the registry/)
  })
})
