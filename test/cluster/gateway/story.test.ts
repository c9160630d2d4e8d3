import {strict as assert} from 'node:assert'
import {statSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {clusters} from '../fixture.js'
import {assertOneLineError} from '../../unit/cli/run-cli.js'
import {FakeKubelet} from './fake-kubelet.js'
import {Env, expectOk, kubeConfigFor, kubectl, kubectlJson, svcgw, uniqueName} from './harness.js'

interface Registry {
  services: Array<{name: string; port: number; internalPort: number; clientService: {name: string; namespace: string; port: number}}>
  clients: Array<{name: string; tunnelIP: string; serial: string; context: string}>
  revoked: Array<{serial: string}>
}

describe('gateway story against two real kube-apiservers', function () {
  this.timeout(120_000)
  let env: Env
  let kubelets: FakeKubelet[] = []
  const serverNs = uniqueName('gw')
  const clientNs = uniqueName('gwc')
  const appNs = uniqueName('app')
  let home: string[]

  const registry = (): Registry =>
    JSON.parse(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['registry.json']) as Registry

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    home = ['--context', 'ctx-a', '-n', serverNs]
    kubelets = ['ctx-a', 'ctx-b'].map((ctx) => new FakeKubelet(kubeConfigFor(env, ctx)))
    kubelets[0].serve(serverNs)
    kubelets[1].serve(clientNs)
    for (const k of kubelets) k.start()
    kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', appNs])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'nginx', '--tcp=80:8080'])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'api', '--tcp=8080:8080'])
  })

  after(() => {
    for (const k of kubelets) k.stop()
    for (const [ctx, ns] of [['ctx-a', serverNs], ['ctx-b', clientNs], ['ctx-b', appNs]]) {
      try {
        kubectl(env, ['--context', ctx, 'delete', 'namespace', ns, '--wait=false', '--ignore-not-found'])
      } catch {}
    }
  })

  it('server install creates the namespace, PKI, registry and server, and waits for the rollout', async () => {
    const result = expectOk(await svcgw(env, ['server', 'install', ...home, '--address', '192.0.2.10', '--timeout', '60s']), 'server install')
    assert.match(result.stdout, /gateway server installed in namespace/)
    assert.match(result.stdout, /clients dial 192\.0\.2\.10:1194/)
    const ns = kubectlJson<{metadata: {labels: Record<string, string>}}>(env, ['--context', 'ctx-a', 'get', 'namespace', serverNs])
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged')
    const deployment = kubectlJson<{status: {availableReplicas: number}}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'deployment', 'svcgw-server'])
    assert.equal(deployment.status.availableReplicas, 1)
    const secrets = kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secrets', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw']).items.map((i) => i.metadata.name)
    assert.deepEqual(secrets.sort(), ['service-gw-ca', 'service-gw-server-certificates', 'service-gw-tls-crypt'])
  })

  it('re-running server install converges and keeps the CA', async () => {
    const caBefore = kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', 'service-gw-ca', '-o', 'jsonpath={.data.tls\\.crt}'])
    const result = expectOk(await svcgw(env, ['server', 'install', ...home, '--address', '192.0.2.10', '-o', 'json']), 'server install again')
    assert.equal((JSON.parse(result.stdout) as {freshPki: boolean}).freshPki, false)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', 'service-gw-ca', '-o', 'jsonpath={.data.tls\\.crt}']), caBefore)
  })

  it('client install writes the client Secret to the provider and registers the client', async () => {
    expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-b', '--client-namespace', clientNs, '--timeout', '60s']), 'client install')
    const secret = kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'secret', 'service-gw-client-certificates'])
    assert.deepEqual(Object.keys(secret.data).sort(), ['ca.crt', 'tls.crt', 'tls.key'])
    const reg = registry()
    assert.equal(reg.clients.length, 1)
    assert.equal(reg.clients[0].name, 'ctx-b')
    assert.equal(reg.clients[0].tunnelIP, '10.8.0.10')
    const ccd = kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-server-ccd'])
    assert.match(ccd.data['ctx-b'], /10\.8\.0\.10/)
    // The CA key never reaches the provider.
    const everything = kubectl(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'secrets', '-o', 'yaml'])
    const keys = (yaml.load(everything) as {items: Array<{data: Record<string, string>}>}).items.flatMap((s) => Object.values(s.data ?? {}))
    const decoded = keys.map((v) => Buffer.from(v, 'base64').toString('utf8')).filter((v) => v.includes('PRIVATE KEY'))
    assert.equal(decoded.length, 1)
  })

  it('re-running client install converges: same certificate, same tunnel IP', async () => {
    const before = registry().clients[0]
    expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-b', '--client-namespace', clientNs, '--timeout', '60s']), 'client install again')
    assert.deepEqual(registry().clients[0], before)
  })

  it('expose creates the consumer Service and routes on both sides', async () => {
    expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', appNs, ...home]), 'expose')
    const internalPort = registry().services.find((s) => s.name === 'nginx')!.internalPort
    const service = kubectlJson<{spec: {ports: Array<{port: number; targetPort: number}>}}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'service', 'nginx'])
    assert.deepEqual([service.spec.ports[0].port, service.spec.ports[0].targetPort], [80, internalPort])
    const serverProxy = kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-server-haproxy'])
    assert.match(JSON.stringify(serverProxy.data), new RegExp(`10\\.8\\.0\\.10:${internalPort}`))
    const clientProxy = kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'configmap', 'svcgw-client-haproxy'])
    assert.match(JSON.stringify(clientProxy.data), new RegExp(`nginx\\.${appNs}\\.svc`))
  })

  it('expose --dry-run prints what it would apply and changes nothing', async () => {
    const before = JSON.stringify(registry())
    const out = expectOk(await svcgw(env, ['expose', 'api', '--port', '8080', '--as', 'dry-api', '--service-namespace', appNs, '--dry-run', '-o', 'yaml', ...home]), 'expose --dry-run').stdout
    const objects = yaml.loadAll(out) as Array<{kind: string; metadata: {name: string}; data?: Record<string, string>}>
    assert.ok(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'dry-api'))
    assert.match(objects.find((o) => o.metadata.name === 'svcgw-server-haproxy')?.data?.['haproxy.cfg'] ?? '', /frontend svc-dry-api/)
    assert.equal(JSON.stringify(registry()), before)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'service', 'dry-api', '--ignore-not-found', '-o', 'name']), '')
  })

  it('list shows it, as text and as yaml', async () => {
    const text = expectOk(await svcgw(env, ['list', ...home]), 'list').stdout
    assert.match(text, new RegExp(`^nginx\\s+80\\s+\\d+\\s+nginx\\.${appNs}:80\\s+ctx-b$`, 'm'))
    const parsed = yaml.load(expectOk(await svcgw(env, ['list', ...home, '-o', 'yaml']), 'list -o yaml').stdout) as {services: unknown[]}
    assert.equal(parsed.services.length, 1)
  })

  it('bad exposes fail in one line and change nothing', async () => {
    const before = JSON.stringify(registry())
    assertOneLineError(await svcgw(env, ['expose', 'ghost', '--port', '80', '--service-namespace', appNs, ...home]), 3, /no Service .*ghost in context "ctx-b"/)
    assertOneLineError(await svcgw(env, ['expose', 'api', '--port', '9999', '--service-namespace', appNs, ...home]), 2, /has no port 9999: use one of its ports: 8080/)
    assertOneLineError(await svcgw(env, ['expose', 'api', '--port', '8080', '--as', 'nginx', '--service-namespace', appNs, ...home]), 4, /"nginx" is already exposed/)
    assertOneLineError(await svcgw(env, ['expose', 'api', '--port', '8080', '--to', 'ctx-z', ...home]), 3, /no client is installed for context "ctx-z"/)
    assert.equal(JSON.stringify(registry()), before)
  })

  it('ten concurrent exposes never collide', async () => {
    const results = await Promise.all(
      Array.from({length: 10}, (_, i) => svcgw(env, ['expose', 'api', '--port', '8080', '--as', `api-${i}`, '--service-namespace', appNs, ...home])),
    )
    for (const r of results) expectOk(r, 'concurrent expose')
    const ports = registry().services.filter((s) => s.name.startsWith('api-')).map((s) => s.internalPort)
    assert.equal(ports.length, 10)
    assert.equal(new Set(ports).size, 10, `internalPorts collide: ${ports.join(',')}`)
    const services = kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'services', '-l', 'svcgw.dev/exposed=true']).items
    assert.equal(services.length, 11)
    // Whatever order the writers finished in, both proxies carry every service.
    const serverProxy = JSON.stringify(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-server-haproxy']).data)
    const clientProxy = JSON.stringify(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'configmap', 'svcgw-client-haproxy']).data)
    for (const port of ports) {
      assert.match(serverProxy, new RegExp(`bind :${port}\\b`), `server proxy lacks ${port}`)
      assert.match(clientProxy, new RegExp(`bind :${port}\\b`), `client proxy lacks ${port}`)
    }
  })

  it('unexpose removes the consumer Service and the route', async () => {
    expectOk(await svcgw(env, ['unexpose', ...Array.from({length: 10}, (_, i) => `api-${i}`), ...home]), 'unexpose')
    const services = kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'services', '-l', 'svcgw.dev/exposed=true']).items.map((s) => s.metadata.name)
    assert.deepEqual(services, ['nginx'])
    assertOneLineError(await svcgw(env, ['unexpose', 'api-0', ...home]), 3, /"api-0" is not exposed/)
  })

  it('expose -f takes the original chart values.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svcgw-values-'))
    const values = join(dir, 'values.yaml')
    const {writeFileSync} = await import('node:fs')
    writeFileSync(values, `image: {repository: x}\nservices:\n  - name: chart-api\n    port: 8080\n    internalPort: 21000\n    clientService:\n      name: api\n      namespace: ${appNs}\n      port: 8080\n`)
    expectOk(await svcgw(env, ['expose', '-f', values, ...home]), 'expose -f')
    assert.equal(registry().services.find((s) => s.name === 'chart-api')?.internalPort, 21_000)
  })

  it('certs status lists CA, server and client with days left', async () => {
    const text = expectOk(await svcgw(env, ['certs', 'status', ...home]), 'certs status').stdout
    assert.match(text, /^svcgw-ca\s+ca\s+[0-9a-f]+\s+\d{4}-\d\d-\d\d\s+3649/m)
    assert.match(text, /^ctx-b\s+client\s+/m)
    const over = await svcgw(env, ['certs', 'status', ...home, '--warn-days', '2000'])
    assertOneLineError(over, 8, /expire within 2000 days: svcgw-server, ctx-b: rotate them/)
  })

  it('certs rotate issues a new client certificate, waits for the client, then revokes the old serial', async () => {
    const old = registry().clients[0].serial
    expectOk(await svcgw(env, ['certs', 'rotate', '--to', 'ctx-b', ...home, '--timeout', '60s']), 'certs rotate')
    const reg = registry()
    assert.notEqual(reg.clients[0].serial, old)
    assert.ok(reg.revoked.some((r) => r.serial === old))
    const crl = kubectlJson<{data?: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-server-crl'])
    assert.ok(Object.keys(crl.data ?? {}).includes(BigInt(`0x${old}`).toString(10)), 'old serial in the revocation directory')
    const held = kubectl(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'secret', 'service-gw-client-certificates', '-o', 'jsonpath={.data.tls\\.crt}'])
    const {X509Certificate} = await import('node:crypto')
    assert.equal(new X509Certificate(Buffer.from(held, 'base64')).serialNumber.toLowerCase().replace(/^0+/, ''), reg.clients[0].serial)
  })

  it('certs rotate --server issues a new server certificate from the same CA', async () => {
    const read = (key: string) => Buffer.from(kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'secret', 'service-gw-server-certificates', '-o', `jsonpath={.data.${key}}`]), 'base64').toString()
    const {X509Certificate} = await import('node:crypto')
    const [oldCert, ca] = [new X509Certificate(read('tls\\.crt')), read('ca\\.crt')]
    expectOk(await svcgw(env, ['certs', 'rotate', '--server', ...home, '--timeout', '60s']), 'certs rotate --server')
    const fresh = new X509Certificate(read('tls\\.crt'))
    assert.notEqual(fresh.serialNumber, oldCert.serialNumber)
    assert.equal(read('ca\\.crt'), ca)
    assert.ok(fresh.checkIssued(new X509Certificate(ca)))
  })

  it('certs export writes a 0600 manifest for an unreachable provider and registers it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'svcgw-export-')), 'far.yaml')
    const result = expectOk(await svcgw(env, ['certs', 'export', '--client', 'far-away', '--file', file, '--address', '192.0.2.10', ...home]), 'certs export')
    assert.doesNotMatch(result.stdout + result.stderr, /PRIVATE KEY/)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const objects = yaml.loadAll(readFileSync(file, 'utf8')) as Array<{kind: string; metadata: {name: string}}>
    assert.ok(objects.some((o) => o.kind === 'Secret' && o.metadata.name === 'service-gw-client-certificates'))
    assert.ok(registry().clients.some((c) => c.name === 'far-away'))
  })

  it('certs revoke refuses without --yes, then revokes', async () => {
    assertOneLineError(await svcgw(env, ['certs', 'revoke', '--client', 'far-away', ...home]), 2, /pass --yes/)
    const serial = registry().clients.find((c) => c.name === 'far-away')!.serial
    expectOk(await svcgw(env, ['certs', 'revoke', '--client', 'far-away', '--yes', ...home]), 'certs revoke')
    assert.ok(registry().revoked.some((r) => r.serial === serial))
  })

  it('expose and unexpose still work with an exported client, and say what to carry over', async () => {
    const exposed = expectOk(await svcgw(env, ['expose', 'api', '--port', '8080', '--as', 'late-api', '--service-namespace', appNs, '--to', 'ctx-b', ...home]), 'expose')
    assert.match(exposed.stderr, /client far-away has no context here: re-export/)
    expectOk(await svcgw(env, ['unexpose', 'late-api', ...home]), 'unexpose')
  })

  it('status reports deployments and a verdict, with an exit code for scripts', async () => {
    const result = await svcgw(env, ['status', ...home, '-o', 'json'])
    const report = JSON.parse(result.stdout) as {verdict: string; server: {ready: boolean; liveData?: string; endpoint?: string}; clients: Array<{name: string; ready: boolean | null}>}
    assert.equal(report.server.ready, true)
    assert.equal(report.server.endpoint, '192.0.2.10:1194')
    assert.equal(report.clients.find((c) => c.name === 'ctx-b')?.ready, true)
    // The fake kubelet runs no containers, so live data is missing and the verdict cannot be healthy.
    assert.ok(report.server.liveData)
    assert.notEqual(report.verdict, 'healthy')
    assert.equal(result.status, 8)
  })

  it('status --watch refreshes until interrupted', async () => {
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../../unit/cli/run-cli.js')
    const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '1', ...home], {env: {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1'}})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 30_000
    while ((out.match(/^(HEALTHY|DEGRADED|DOWN):/gm) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    child.kill('SIGINT')
    assert.ok((out.match(/^(HEALTHY|DEGRADED|DOWN):/gm) ?? []).length >= 2, `two reports expected:\n${out}`)
  })

  it('a forbidden user gets exit 6 naming RBAC', async () => {
    assertOneLineError(await svcgw(env, ['list', '--context', 'ctx-a-restricted', '-n', serverNs]), 6, /forbidden in context "ctx-a-restricted"/)
  })

  it('client uninstall removes the client objects and revokes it', async () => {
    const serial = registry().clients.find((c) => c.name === 'ctx-b')!.serial
    expectOk(await svcgw(env, ['client', 'uninstall', '--to', 'ctx-b', '--yes', ...home]), 'client uninstall')
    assert.equal(kubectlJson(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'all,configmaps,secrets', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw']).items.length, 0)
    const reg = registry()
    assert.ok(!reg.clients.some((c) => c.name === 'ctx-b'))
    assert.ok(reg.revoked.some((r) => r.serial === serial))
  })

  it('server uninstall removes everything it created and nothing else', async () => {
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'create', 'configmap', 'not-ours', '--from-literal=a=b'])
    expectOk(await svcgw(env, ['server', 'uninstall', '--yes', ...home]), 'server uninstall')
    const left = kubectlJson(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'deployments,services,configmaps,secrets', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw']).items
    assert.equal(left.length, 0)
    // The namespace was ours, but it holds a stranger's ConfigMap: both stay.
    const ns = kubectlJson<{status: {phase: string}}>(env, ['--context', 'ctx-a', 'get', 'namespace', serverNs])
    assert.equal(ns.status.phase, 'Active')
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'not-ours'])
  })
})
