import {strict as assert} from 'node:assert'

import {planAdoption} from '../../../src/gateway/adopt/chart-plan.js'
import {keepingLivePortNames, notConnected, notConnectedFix, routesOnlyTo, scaleDownOrder, servicesWithoutBackend} from '../../../src/gateway/adopt/finish-plan.js'
import type {ServerHealth} from '../../../src/gateway/server-health.js'
import type {EndpointSlice, Service} from '../../../src/kube/object.js'
import {createCA, issueClientCertificate, issueServerCertificate} from '../../../src/pki/certificates.js'
import {defaultSettings} from '../../../src/registry/settings.js'
import type {Registry, Takeover} from '../../../src/registry/types.js'
import {renderClient} from '../../../src/render/client.js'
import type {KubeObject} from '../../../src/render/objects.js'
import {exposedServices, serverConfig} from '../../../src/render/server.js'

const ca = createCA({commonName: 'chart-ca'})
const pair = (p: {cert: string; key: string}) => ({'tls.crt': p.cert, 'tls.key': p.key, 'ca.crt': ca.cert})
const plan = planAdoption({
  serverNamespace: 'server',
  server: pair(issueServerCertificate(ca, {commonName: 'service-gw-server'})),
  clients: [
    {context: 'ctx-b', namespace: 'client', secret: pair(issueClientCertificate(ca, {commonName: 'provider-b'}))},
    {context: 'ctx-c', namespace: 'gw', secret: pair(issueClientCertificate(ca, {commonName: 'provider-c'}))},
  ],
  services: [{name: 'nginx', port: 80, internalPort: 20080, clientService: {name: 'nginx', namespace: 'default', port: 80}}],
  tunnelNetwork: '10.8.0.0/24',
})
const takeover = plan.registry.takeover as Takeover
const settings = defaultSettings({openvpn: 'img:1', haproxy: 'img:1'})
const tunnel = (up: boolean) => ({up, checkMs: 1})
const health = (tunnels: Record<string, boolean>, backends: Record<string, Record<string, string>> = {}): ServerHealth =>
  ({tunnels: Object.fromEntries(Object.entries(tunnels).map(([k, v]) => [k, tunnel(v)])), backends}) as unknown as ServerHealth

describe('the take-over of a chart\'s workloads (pure parts)', () => {
  it('adopt records what it takes over: the chart\'s server Deployment and each provider\'s client Deployment', () => {
    assert.deepEqual(takeover, {
      server: {deployment: 'service-gw-server', namespace: 'server'},
      clients: [
        {name: 'provider-b', context: 'ctx-b', namespace: 'client', deployment: 'service-gw-client'},
        {name: 'provider-c', context: 'ctx-c', namespace: 'gw', deployment: 'service-gw-client'},
      ],
    })
    assert.deepEqual(scaleDownOrder(takeover).map((t) => `${t.context ?? 'home'}/${t.namespace}/${t.deployment}`), [
      'home/server/service-gw-server',
      'ctx-b/client/service-gw-client',
      'ctx-c/gw/service-gw-client',
    ])
  })

  it('while it is pending, the server config holds no consumer Service (the chart\'s keep routing); afterwards it does', () => {
    const kinds = (registry: Registry) => serverConfig(registry, settings, 'server').filter((o) => o.kind === 'Service').map((o) => o.metadata.name)
    assert.deepEqual(kinds(plan.registry), [])
    const {takeover: _, ...finished} = plan.registry
    assert.deepEqual(kinds(finished), ['nginx'])
  })

  it('the plugin\'s clients verify the chart\'s server certificate by its CN', () => {
    assert.equal(plan.serverName, 'service-gw-server')
    const openvpn = (name?: string) =>
      renderClient(plan.registry, {caCert: ca.cert, client: {cert: 'c', key: 'k'}, tlsCrypt: 't'}, {...settings, ...(name ? {serverName: name} : {})}, {clientName: 'provider-b', namespace: 'client', serverAddress: '10.0.0.1', serverPort: 1194})
        .find((o) => o.metadata.name === 'svcgw-client-openvpn') as unknown as {data: Record<string, string>}
    assert.match(Object.values(openvpn('service-gw-server').data).join('\n'), /^verify-x509-name service-gw-server name$/m)
    assert.match(Object.values(openvpn().data).join('\n'), /^verify-x509-name svcgw-server name$/m)
  })

  it('finishing needs every adopted client connected in every server pod, and names the ones that are not and the command that fixes it', () => {
    assert.deepEqual(notConnected(takeover, [health({'provider-b': true, 'provider-c': true})]), [])
    assert.deepEqual(notConnected(takeover, [health({'provider-b': true, 'provider-c': true}), health({'provider-b': true})]), ['provider-c'])
    assert.deepEqual(notConnected(takeover, []), ['provider-b', 'provider-c'])
    assert.match(notConnectedFix(takeover, ['provider-c'], {context: 'ctx-a', namespace: 'server'}), /"kubectl svcgw client install --context ctx-a -n server --to ctx-c"/)
  })

  it('finishing needs a backend up for every service (UP, or UP going down), else switching would fail its requests', () => {
    assert.deepEqual(servicesWithoutBackend(plan.registry, [health({}, {nginx: {'provider-b': 'DOWN', 'provider-c': 'UP 1/2'}})]), [])
    assert.deepEqual(servicesWithoutBackend(plan.registry, [health({}, {nginx: {'provider-b': 'DOWN', 'provider-c': 'MAINT'}})]), ['nginx'])
  })

  it('the endpoints have moved when every ready one is a plugin server pod, and there is one', () => {
    const slice = (...pods: Array<[string, boolean]>): EndpointSlice =>
      ({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: 's'}, endpoints: pods.map(([name, ready]) => ({addresses: ['10.0.0.1'], conditions: {ready}, targetRef: {kind: 'Pod', name}}))}) as EndpointSlice
    assert.equal(routesOnlyTo([slice(['svcgw-server-1', true])], ['svcgw-server-1']), true)
    assert.equal(routesOnlyTo([slice(['svcgw-server-1', true], ['service-gw-server-1', true])], ['svcgw-server-1']), false)
    assert.equal(routesOnlyTo([slice(['svcgw-server-1', true], ['service-gw-server-1', false])], ['svcgw-server-1']), true)
    assert.equal(routesOnlyTo([], ['svcgw-server-1']), false)
  })

  it('the switched Service keeps the port names of the chart\'s (kube-proxy would take a renamed port for a new one); the rendered digest stays', () => {
    const [rendered] = exposedServices(plan.registry, 'server')
    const live = (ports: object[]) => ({apiVersion: 'v1', kind: 'Service', metadata: {name: 'nginx'}, spec: {ports}}) as Service
    const ports = (o: KubeObject) => (o.spec as {ports: object[]}).ports
    assert.deepEqual(ports(keepingLivePortNames(rendered, live([{port: 80, protocol: 'TCP', targetPort: 20080}]))), [{port: 80, targetPort: 20080, protocol: 'TCP'}])
    assert.deepEqual(ports(keepingLivePortNames(rendered, live([{name: 'http', port: 80, protocol: 'TCP'}]))), [{port: 80, targetPort: 20080, protocol: 'TCP', name: 'http'}])
    assert.deepEqual(ports(keepingLivePortNames(rendered, live([{name: 'other', port: 81, protocol: 'TCP'}]))), ports(rendered))
    assert.deepEqual(ports(keepingLivePortNames(rendered, undefined)), ports(rendered))
    assert.equal(keepingLivePortNames(rendered, live([])).metadata.annotations, rendered.metadata.annotations)
  })
})
