import {strict as assert} from 'node:assert'
import {X509Certificate} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {clusters} from '../fixture.js'
import {assertOneLineError} from '../../unit/cli/run-cli.js'
import {deleteNamespaces, type Env, expectOk, kubectl, kubectlJson, svcgw, uniqueName} from './harness.js'

interface Registry {
  services: Array<{name: string; port: number; internalPort: number; clientService: {name: string; namespace: string; port: number}}>
  clients: Array<{name: string; tunnelIP: string; serial: string; context: string}>
  revoked: Array<{serial: string}>
}

/**
 * Day-two operations on real clusters with real nodes (the data path is
 * the e2e suite's): re-runs converge, bad input changes nothing, concurrent
 * writers never collide, certificates, exported clients, status --watch.
 */
describe('gateway operations (real clusters and nodes)', function () {
  this.timeout(180_000)
  let env: Env
  const serverNs = uniqueName('ops')
  const clientNs = uniqueName('opsc')
  const appNs = uniqueName('opsapp')
  const home = ['--context', 'ctx-a', '-n', serverNs]
  const registry = (): Registry =>
    JSON.parse(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['registry.json']) as Registry
  const proxyConfig = (ctx: string, ns: string, name: string) => JSON.stringify(kubectlJson<{data: Record<string, string>}>(env, ['--context', ctx, '-n', ns, 'get', 'configmap', name]).data)

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', appNs])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'nginx', '--tcp=80:8080'])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'api', '--tcp=8080:8080'])
    expectOk(await svcgw(env, ['server', 'install', ...home, '--service-type', 'NodePort']), 'server install')
    expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-b', '--client-namespace', clientNs]), 'client install')
  })

  after(() => deleteNamespaces(env, [['ctx-a', serverNs], ['ctx-b', clientNs], ['ctx-b', appNs]]))

  it('re-running server install without its flags converges: the CA, the settings and the Service type stay', async () => {
    const caBefore = kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', 'service-gw-ca', '-o', 'jsonpath={.data.tls\\.crt}'])
    const settings = () => kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['settings.json']
    const before = settings()
    const result = expectOk(await svcgw(env, ['server', 'install', ...home, '-o', 'json']), 'server install again')
    assert.equal((JSON.parse(result.stdout) as {freshPki: boolean}).freshPki, false)
    assert.equal(settings(), before)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'service', 'svcgw-server', '-o', 'jsonpath={.spec.type}']), 'NodePort')
    // A flag changes only what it names, and says the clients are behind when it concerns them.
    const dry = expectOk(await svcgw(env, ['server', 'install', ...home, '--proto', 'udp', '--dry-run']), 'server install --proto udp --dry-run')
    assert.match(dry.stderr, /warning: changed proto: the clients dial the server as before until re-installed: "kubectl svcgw client install --to ctx-b"/)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', 'service-gw-ca', '-o', 'jsonpath={.data.tls\\.crt}']), caBefore)
  })

  it('re-running client install converges: same certificate, same tunnel IP; the CA key never reaches the provider', async () => {
    const before = registry().clients[0]
    expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-b', '--client-namespace', clientNs]), 'client install again')
    assert.deepEqual(registry().clients[0], before)
    const everything = yaml.load(kubectl(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'secrets', '-o', 'yaml'])) as {items: Array<{data?: Record<string, string>}>}
    const keys = everything.items.flatMap((s) => Object.values(s.data ?? {})).map((v) => Buffer.from(v, 'base64').toString('utf8')).filter((v) => v.includes('PRIVATE KEY'))
    assert.equal(keys.length, 1, 'only the client key')
  })

  it('server install refuses to make a new CA under registered clients when a key Secret is gone, and changes nothing', async () => {
    const get = (name: string) => kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', name, '-o', 'json'])
    const saved = JSON.parse(get('service-gw-tls-crypt')) as {metadata: Record<string, unknown>}
    const caBefore = get('service-gw-ca')
    const registryBefore = JSON.stringify(registry())
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'delete', 'secret', 'service-gw-tls-crypt'])
    try {
      assertOneLineError(await svcgw(env, ['server', 'install', ...home]), 4, /has 1 registered client\(s\) but its CA, server certificate or tls-crypt key is missing; a new CA would cut every client: restore the Secrets/)
      assert.equal(get('service-gw-ca'), caBefore)
      assert.equal(JSON.stringify(registry()), registryBefore)
    } finally {
      const {name, namespace, labels} = saved.metadata
      const dir = mkdtempSync(join(tmpdir(), 'svcgw-restore-'))
      writeFileSync(join(dir, 'secret.json'), JSON.stringify({...saved, metadata: {name, namespace, labels}}), {mode: 0o600})
      kubectl(env, ['--context', 'ctx-a', 'apply', '-f', join(dir, 'secret.json')])
    }
  })

  it('bad exposes fail in one line and change nothing', async () => {
    expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', appNs, ...home]), 'expose')
    const before = JSON.stringify(registry())
    assertOneLineError(await svcgw(env, ['expose', 'ghost', '--port', '80', '--service-namespace', appNs, ...home]), 3, /no Service .*ghost in context "ctx-b"/)
    assertOneLineError(await svcgw(env, ['expose', 'api', '--port', '9999', '--service-namespace', appNs, ...home]), 2, /has no port 9999: use one of its ports: 8080/)
    assertOneLineError(await svcgw(env, ['expose', 'api', '--port', '8080', '--as', 'nginx', '--service-namespace', appNs, ...home]), 4, /"nginx" is already exposed.*--overwrite/)
    assertOneLineError(await svcgw(env, ['expose', 'api', '--port', '8080', '--to', 'ctx-z', ...home]), 3, /no client is installed for context "ctx-z"/)
    assert.equal(JSON.stringify(registry()), before)
  })

  it('list shows it, as text and as yaml', async () => {
    const text = expectOk(await svcgw(env, ['list', ...home]), 'list').stdout
    assert.match(text, new RegExp(`^nginx\\s+80\\s+\\d+\\s+nginx\\.${appNs}:80\\s+ctx-b$`, 'm'))
    const parsed = yaml.load(expectOk(await svcgw(env, ['list', ...home, '-o', 'yaml']), 'list -o yaml').stdout) as {services: unknown[]}
    assert.equal(parsed.services.length, 1)
  })

  it('ten concurrent exposes never collide, and every proxy carries every service', async () => {
    const results = await Promise.all(Array.from({length: 10}, (_, i) => svcgw(env, ['expose', 'api', '--port', '8080', '--as', `api-${i}`, '--service-namespace', appNs, ...home])))
    for (const r of results) expectOk(r, 'concurrent expose')
    const ports = registry().services.filter((s) => s.name.startsWith('api-')).map((s) => s.internalPort)
    assert.equal(new Set(ports).size, 10, `internalPorts collide: ${ports.join(',')}`)
    assert.equal(kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'services', '-l', 'svcgw.dev/exposed=true']).items.length, 11)
    const serverProxy = proxyConfig('ctx-a', serverNs, 'svcgw-server-haproxy')
    const clientProxy = proxyConfig('ctx-b', clientNs, 'svcgw-client-haproxy')
    for (const port of ports) {
      assert.match(serverProxy, new RegExp(`bind :${port}\\b`), `server proxy lacks ${port}`)
      assert.match(clientProxy, new RegExp(`bind :${port}\\b`), `client proxy lacks ${port}`)
    }
  })

  it('unexpose removes the consumer Services and the routes', async () => {
    expectOk(await svcgw(env, ['unexpose', ...Array.from({length: 10}, (_, i) => `api-${i}`), ...home]), 'unexpose')
    assert.deepEqual(kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'services', '-l', 'svcgw.dev/exposed=true']).items.map((s) => s.metadata.name), ['nginx'])
    assertOneLineError(await svcgw(env, ['unexpose', 'api-0', ...home]), 3, /"api-0" is not exposed/)
  })

  it('at N = 200, one expose writes only what changed (the registry, its Service, the two proxy configs, the pod nudges), and a re-run of server install no unchanged Service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svcgw-many-'))
    const file = join(dir, 'values.yaml')
    writeFileSync(file, `services:\n${Array.from({length: 200}, (_, i) => `  - {name: many-${i}, port: 80, clientService: {name: nginx, namespace: ${appNs}, port: 80}}`).join('\n')}\n`)
    expectOk(await svcgw(env, ['expose', '-f', file, ...home]), 'expose -f of 200')
    assert.ok(registry().services.length >= 200)
    const {stderr} = expectOk(await svcgw({...env, stats: true}, ['expose', 'nginx', '--port', '80', '--service-namespace', appNs, '--as', 'one-more', ...home]), 'expose at N=200')
    const written = (JSON.parse(stderr.split('\n').find((l) => l.startsWith('SVCGW_STATS '))!.slice('SVCGW_STATS '.length)) as {written: string[]}).written
    const kinds = [...new Set(written)].sort()
    assert.deepEqual(
      kinds.filter((w) => !w.startsWith('pod/')),
      ['configmap/svcgw-client-haproxy', 'configmap/svcgw-registry', 'configmap/svcgw-server-haproxy', 'service/one-more'],
      `written: ${written.join(', ')}`,
    )
    assert.equal(written.filter((w) => w.startsWith('pod/')).length, 2, 'one nudge for the server pod, one for the client pod')
    // Each object once: the consumer Service goes first (clients-first) and is not applied again with the server's config.
    assert.equal(written.filter((w) => !w.startsWith('pod/')).length, kinds.filter((w) => !w.startsWith('pod/')).length, `written: ${written.join(', ')}`)
    // A re-run of server install at N = 200 applies no consumer Service that the cluster holds as
    // rendered, and repairs one edited by hand.
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'patch', 'service', 'many-7', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/ports/0/targetPort","value":1}]'])
    const rerun = expectOk(await svcgw({...env, stats: true}, ['server', 'install', ...home]), 'server install at N=200')
    const rewritten = (JSON.parse(rerun.stderr.split('\n').find((l) => l.startsWith('SVCGW_STATS '))!.slice('SVCGW_STATS '.length)) as {written: string[]}).written
    assert.deepEqual(rewritten.filter((w) => w.startsWith('service/many-')), ['service/many-7'], `written: ${rewritten.join(', ')}`)
    assert.notEqual(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'service', 'many-7', '-o', 'jsonpath={.spec.ports[0].targetPort}']), '1')
    // Batches are one registry update and one apply round: unexpose --all deletes the Services in one request.
    const all = expectOk(await svcgw({...env, stats: true}, ['unexpose', '--all', ...home]), 'unexpose --all')
    assert.match(all.stderr, /"services \(20\d, by selector\)"/)
    assert.equal(kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'services', '-l', 'svcgw.dev/exposed=true']).items.length, 0)
    expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', appNs, ...home]), 'expose nginx again')
  })

  it('certs status lists the CA, the server and the client with days left', async () => {
    const text = expectOk(await svcgw(env, ['certs', 'status', ...home]), 'certs status').stdout
    assert.match(text, /^svcgw-ca-[0-9a-f]{8}\s+ca\s+current\s+[0-9a-f]+\s+\d{4}-\d\d-\d\d\s+3649/m)
    assert.match(text, /^ctx-b\s+client\s+current\s+/m)
    assertOneLineError(await svcgw(env, ['certs', 'status', ...home, '--warn-days', '2000']), 8, /expire within 2000 days: svcgw-server, ctx-b: rotate them/)
  })

  it('certs rotate --server issues a new server certificate from the same CA; clients reconnect', async () => {
    const read = (key: string) => Buffer.from(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', 'service-gw-server-certificates', '-o', `jsonpath={.data.${key}}`]), 'base64').toString()
    const [old, ca] = [new X509Certificate(read('tls\\.crt')), read('ca\\.crt')]
    expectOk(await svcgw(env, ['certs', 'rotate', '--server', ...home]), 'certs rotate --server')
    const fresh = new X509Certificate(read('tls\\.crt'))
    assert.notEqual(fresh.serialNumber, old.serialNumber)
    assert.equal(read('ca\\.crt'), ca)
    assert.ok(fresh.checkIssued(new X509Certificate(ca)))
    // The server restarted with it; the client reconnects by itself and verifies the new certificate.
    // (The exposed Services here have no pods, so the verdict itself stays degraded.)
    const connected = (out: string) => (JSON.parse(out) as {clients: Array<{name: string; connected: boolean | null}>}).clients.find((c) => c.name === 'ctx-b')?.connected
    const deadline = Date.now() + 60_000
    let last = ''
    while (Date.now() < deadline) {
      last = (await svcgw(env, ['status', ...home, '-o', 'json'])).stdout
      if (connected(last)) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    assert.equal(connected(last), true, last)
  })

  it('an exported client: expose warns what to carry over, export --config-only carries it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svcgw-far-'))
    expectOk(await svcgw(env, ['certs', 'export', '--client', 'far-away', '--file', join(dir, 'far.yaml'), '--address', '192.0.2.10', ...home, '--no-wait']), 'certs export')
    const exposed = expectOk(await svcgw(env, ['expose', 'api', '--port', '8080', '--as', 'late-api', '--service-namespace', appNs, '--to', 'ctx-b', ...home]), 'expose')
    assert.match(exposed.stderr, /client far-away has no context here: carry this change over with "kubectl svcgw certs export --client far-away --config-only"/)
    const carried = join(dir, 'far-config.yaml')
    expectOk(await svcgw(env, ['certs', 'export', '--client', 'far-away', '--config-only', '--file', carried, ...home]), 'export --config-only')
    writeFileSync(join(dir, 'done'), '')
    expectOk(await svcgw(env, ['unexpose', 'late-api', ...home]), 'unexpose')
  })

  it('status --watch refreshes until interrupted', async () => {
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../../unit/cli/run-cli.js')
    const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '1', ...home], {env: {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1'}})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 30_000
    const reports = () => (out.match(/^(HEALTHY|DEGRADED|DOWN|UNKNOWN):/gm) ?? []).length
    while (reports() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    child.kill('SIGINT')
    assert.ok(reports() >= 2, `two reports expected:\n${out}`)
  })
})
