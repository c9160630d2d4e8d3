import {strict as assert} from 'node:assert'

import {GATEWAY_IMAGE} from '../../../src/dataplane/images.js'
import {resolveSettings, settingOverrides} from '../../../src/gateway/settings-from-flags.js'
import {defaultSettings} from '../../../src/registry/settings.js'
import {errorOf} from '../../support/error-of.js'

describe('server settings from flags', () => {
  it('a first install takes the defaults, the gateway image for both containers', () => {
    const s = resolveSettings(undefined, settingOverrides({}))
    assert.deepEqual([s.proto, s.port, s.serviceType, s.tunnelNetwork, s.clusterDomain], ['tcp', 1194, 'LoadBalancer', '10.8.0.0/24', 'cluster.local'])
    assert.deepEqual(s.images, {openvpn: GATEWAY_IMAGE, haproxy: GATEWAY_IMAGE})
  })

  it('a re-run keeps what is stored and changes only what its flags name', () => {
    const stored = {...defaultSettings({openvpn: 'mine/ovpn:1', haproxy: 'mine/hap:1'}), serviceType: 'NodePort' as const, nodePort: 31_194, proto: 'udp' as const}
    const same = resolveSettings(stored, settingOverrides({}))
    assert.deepEqual(same, stored)
    const changed = resolveSettings(stored, settingOverrides({'haproxy-image': 'haproxy:3.2-alpine', port: 1195}))
    assert.deepEqual(changed.images, {openvpn: 'mine/ovpn:1', haproxy: 'haproxy:3.2-alpine'})
    assert.deepEqual([changed.port, changed.proto, changed.serviceType, changed.nodePort], [1195, 'udp', 'NodePort', 31_194])
  })

  it('a nodePort needs a NodePort Service, stored or given; another type drops a stored nodePort', () => {
    const nodePort = {...defaultSettings({openvpn: 'a:1', haproxy: 'b:1'}), serviceType: 'NodePort' as const, nodePort: 31_000}
    assert.equal(resolveSettings(nodePort, settingOverrides({'node-port': 31_001})).nodePort, 31_001)
    assert.match(errorOf(() => resolveSettings(undefined, settingOverrides({'node-port': 31_001}))).line, /--node-port needs --service-type NodePort/)
    assert.equal(resolveSettings(nodePort, settingOverrides({'service-type': 'LoadBalancer'})).nodePort, undefined)
  })

  it('a hostile value is refused before anything else happens', () => {
    assert.match(errorOf(() => settingOverrides({address: '1.2.3.4\nup /bin/sh'})).line, /invalid --address/)
    assert.match(errorOf(() => settingOverrides({'tunnel-network': '10.8.0.0/33'})).line, /invalid tunnel network/)
  })
})
