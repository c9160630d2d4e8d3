import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseErrorLine} from '../../../src/base-command.js'
import {parseDuration} from '../../../src/flags/index.js'
import {nodeAddress} from '../../../src/gateway/endpoint.js'
import {clientNameFromContext} from '../../../src/gateway/providers.js'
import {type StatusReport, verdictOf} from '../../../src/gateway/status.js'
import {proxyConfigIdOf} from '../../../src/gateway/sync.js'
import {readChartServices} from '../../../src/gateway/values-file.js'
import {errorOf} from '../../support/error-of.js'


describe('client names from context names', () => {
  it('takes the last part of cloud context names and makes it DNS-safe', () => {
    assert.equal(clientNameFromContext('arn:aws:eks:eu-west-1:123456789012:cluster/prod'), 'prod')
    assert.equal(clientNameFromContext('gke_project_europe-west1_Cluster_One'), 'gke-project-europe-west1-cluster-one')
    assert.equal(clientNameFromContext('admin@kind-b'), 'kind-b')
    assert.equal(clientNameFromContext('ctx-b'), 'ctx-b')
    assert.equal(clientNameFromContext('___'), 'client')
    assert.ok(clientNameFromContext('x'.repeat(80)).length <= 40)
  })
})

describe('durations as kubectl writes them', () => {
  it('parses seconds, minutes, hours, milliseconds and plain numbers as seconds', () => {
    assert.equal(parseDuration('90s'), 90_000)
    assert.equal(parseDuration('5m'), 300_000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.equal(parseDuration('250ms'), 250)
    assert.equal(parseDuration('0'), 0)
    assert.equal(parseDuration('12'), 12_000)
  })

  it('refuses anything else with the fix', () => {
    for (const bad of ['soon', '5 m', '5x', '-1s', 'm5', '']) assert.match(errorOf(() => parseDuration(bad)).line, /invalid duration .*: use a value like 90s/)
  })
})

describe('oclif parse errors made one line', () => {
  it('joins the reason onto the line and drops the help pointer', () => {
    assert.equal(
      parseErrorLine('The following error occurred:\n  --as=x cannot also be provided when using --filename\nSee more help with --help'),
      '--as=x cannot also be provided when using --filename',
    )
  })
})

describe('the NodePort address clients dial', () => {
  it('prefers an external address of any node, then an internal one', () => {
    const node = (...addresses: Array<[string, string]>) => ({apiVersion: 'v1', kind: 'Node', metadata: {name: 'n'}, status: {addresses: addresses.map(([type, address]) => ({type, address}))}})
    assert.equal(nodeAddress([node(['Hostname', 'n1'], ['InternalIP', '10.0.0.1'])]), '10.0.0.1')
    assert.equal(nodeAddress([node(['InternalIP', '10.0.0.1']), node(['ExternalIP', '203.0.113.5'])]), '203.0.113.5')
    assert.equal(nodeAddress([node(['Hostname', 'n1'])]), undefined)
  })
})

describe('the proxy config ID a command waits for', () => {
  it('is read from the rendered config line HAProxy answers with', () => {
    const cm = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {'haproxy.cfg': 'frontend stats\n  http-request return status 200 content-type text/plain string 0123abcd if { path /config-id }\n'}}
    assert.equal(proxyConfigIdOf(cm), '0123abcd')
    assert.equal(proxyConfigIdOf({...cm, data: {'haproxy.cfg': 'global\n'}}), undefined)
  })
})

const base = (over: Partial<StatusReport> = {}): Omit<StatusReport, 'verdict' | 'message'> => ({
  server: {context: 'a', namespace: 'svcgw', ready: true, replicas: '1/1'},
  clients: [
    {name: 'b', tunnelIP: '10.8.0.10', ready: true, connected: true, certDaysLeft: 900},
    {name: 'c', tunnelIP: '10.8.0.11', ready: true, connected: true, certDaysLeft: 900},
  ],
  services: [{name: 'web', port: 80, internalPort: 20_000, target: 'web.default:80', backends: [{client: 'b', state: 'up'}, {client: 'c', state: 'up'}], up: 2, unknown: 0}],
  certificates: {caDaysLeft: 3000, serverDaysLeft: 900},
  checkedAt: '',
  ...over,
})

describe('status verdicts', () => {
  it('healthy when everything answers', () => {
    assert.equal(verdictOf(base()).verdict, 'healthy')
  })

  it('down when the server is not ready, or no client is connected', () => {
    assert.equal(verdictOf(base({server: {context: 'a', namespace: 's', ready: false, replicas: '0/1'}})).verdict, 'down')
    const clients = base().clients.map((c) => ({...c, connected: false}))
    assert.match(verdictOf(base({clients})).message, /no client is connected \(b, c\)/)
  })

  it('degraded naming the client that is down, and the service with no backend', () => {
    const clients = base().clients.map((c) => (c.name === 'c' ? {...c, connected: false, ready: false} : c))
    const services = [{...base().services[0], backends: [{client: 'b', state: 'up' as const}, {client: 'c', state: 'down' as const}], up: 1}]
    const {verdict, message} = verdictOf(base({clients, services}))
    assert.equal(verdict, 'degraded')
    assert.match(message, /not connected: c/)
    assert.match(message, /backends down for: web/)
    const dead = [{...base().services[0], backends: [{client: 'b', state: 'down' as const}], up: 0}]
    assert.match(verdictOf(base({services: dead})).message, /no backend up for: web/)
  })

  it('unknown, never "no backend up", when live data could not be read', () => {
    const clients = base().clients.map((c) => ({...c, connected: null}))
    const services = [{...base().services[0], backends: [{client: 'b', state: 'unknown' as const}, {client: 'c', state: 'unknown' as const}], up: 0, unknown: 2}]
    const report = verdictOf(base({server: {context: 'a', namespace: 's', ready: true, replicas: '1/1', liveData: 'forbidden'}, clients, services}))
    assert.equal(report.verdict, 'unknown')
    assert.doesNotMatch(report.message, /no backend up/)
    assert.match(report.message, /live data unreadable: forbidden/)
  })

  it('unknown, not healthy, while the server\'s proxy has not checked a client yet (just added)', () => {
    const clients = base().clients.map((c) => (c.name === 'c' ? {...c, connected: null} : c))
    const services = [{...base().services[0], backends: [{client: 'b', state: 'up' as const}, {client: 'c', state: 'unknown' as const}], up: 1, unknown: 1}]
    const report = verdictOf(base({clients, services}))
    assert.equal(report.verdict, 'unknown')
    assert.match(report.message, /not checked yet by the server's proxy: c$/)
  })

  it('degraded for certificates close to expiry', () => {
    assert.match(verdictOf(base({certificates: {caDaysLeft: 3000, serverDaysLeft: 5}})).message, /expiring within 30 days: server/)
  })
})

describe("the original chart's values.yaml", () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-values-'))
  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it('reads its services: list, defaulting what the chart defaulted', () => {
    const path = file('values.yaml', 'image: {repository: x}\nservices:\n  - name: api\n    port: 8080\n    internalPort: 21000\n    clientService: {name: backend, namespace: shop, port: 9090}\n  - name: web\n    port: 80\n    clientService: {}\n')
    assert.deepEqual(readChartServices(path), [
      {name: 'api', port: 8080, internalPort: 21_000, clientService: {name: 'backend', namespace: 'shop', port: 9090}},
      {name: 'web', port: 80, clientService: {name: 'web', namespace: 'default', port: 80}},
    ])
  })

  it('accepts a bare list, and names what is wrong with a broken file', () => {
    assert.equal(readChartServices(file('list.yaml', '- {name: a, port: 1, clientService: {}}\n')).length, 1)
    assert.match(errorOf(() => readChartServices(file('bad.yaml', 'services: [{name: a}]\n'))).line, /services\[0\] of .* is incomplete/)
    assert.match(errorOf(() => readChartServices(file('none.yaml', 'image: x\n'))).line, /has no services: list/)
    assert.match(errorOf(() => readChartServices(file('yaml.yaml', 'services: [\n'))).line, /is not valid YAML/)
    assert.match(errorOf(() => readChartServices(join(dir, 'missing.yaml'))).line, /cannot read .*ENOENT: check the path given to -f/)
  })
})
