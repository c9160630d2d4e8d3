import {strict as assert} from 'node:assert'

import {syntheticRegistry} from '../../../bench/scale/render.js'
import {notYetLive} from '../../../src/gateway/consumer-services.js'
import type {Service} from '../../../src/kube/object.js'
import {defaultSettings} from '../../../src/registry/settings.js'
import {serverConfig} from '../../../src/render/server.js'

describe('consumer Services a re-run applies again', () => {
  const settings = defaultSettings({openvpn: 'img:1', haproxy: 'img:1'})
  const rendered = serverConfig(syntheticRegistry(3, 1), settings, 'svcgw')
  const services = rendered.filter((o) => o.kind === 'Service')
  // What the apiserver holds after an apply: the rendered object plus its defaults, map keys sorted.
  const asLive = (o: (typeof services)[number]): Service => {
    const spec = o.spec as {selector: Record<string, string>}
    const selector = Object.fromEntries(Object.entries(spec.selector).sort(([a], [b]) => a.localeCompare(b)))
    return JSON.parse(JSON.stringify({...o, spec: {...spec, selector, clusterIP: '10.96.0.10', sessionAffinity: 'None'}})) as Service
  }
  const names = (objects: Array<{kind: string; metadata: {name: string}}>) => objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)

  it('none that the cluster holds as rendered; the other objects always', () => {
    const left = notYetLive(rendered, services.map(asLive))
    assert.deepEqual(names(left), [])
    assert.equal(left.length, rendered.length - services.length)
  })

  it('one missing, one rendered differently since (another port), one whose target port was edited by hand', () => {
    const live = services.map(asLive)
    live.shift()
    live[0].metadata.annotations!['svcgw.dev/rendered'] = 'older'
    ;(live[1].spec as {ports: Array<{targetPort: number}>}).ports[0].targetPort = 1
    assert.deepEqual(names(notYetLive(rendered, live)), services.map((s) => s.metadata.name))
  })
})
