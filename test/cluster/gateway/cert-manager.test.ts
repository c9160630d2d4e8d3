import {strict as assert} from 'node:assert'
import {X509Certificate} from 'node:crypto'

import {certManager, type CertManager} from '../certmanager/run.js'
import {clusters} from '../fixture.js'
import type {ClusterSet} from '../up.js'
import {until} from '../workloads.js'
import {deleteNamespaces, type Env, expectOk, kubectl, kubectlJson, svcgw, uniqueName} from './harness.js'

interface Registry {
  clients: Array<{name: string; serial: string; context: string; ca?: string; trust?: string[]}>
  revoked: Array<{serial: string}>
  certificates?: {ca?: {serial: string; issuer?: string}; previousCa?: {serial: string}; server?: {serial: string; ca?: string}}
}

interface CertificateObject {
  spec: {issuerRef: {name: string}; secretName: string; commonName: string; usages?: string[]}
  status?: {revision?: number; conditions?: Array<{type: string; status: string}>}
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '')
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8')

/**
 * cert-mode on the test clusters with real cert-manager (its controllers
 * built from its Go module, test/cluster/certmanager): install, two
 * providers (another cluster, another namespace of the server's), a client
 * rotated the way cmctl renew does it, a renewal by cert-manager on its own
 * seen as drift and fixed by certs sync, a CA rotation, uninstall.
 */
describe('cert-manager mode (real cert-manager, real clusters and nodes)', function () {
  this.timeout(300_000)
  let set: ClusterSet
  let env: Env
  let cm: CertManager
  const serverNs = uniqueName('cm')
  const remoteNs = uniqueName('cmb')
  const localNs = uniqueName('cml')
  const home = ['--context', 'ctx-a', '-n', serverNs]
  const registry = (): Registry =>
    JSON.parse(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['registry.json']) as Registry
  const certificate = (name: string) => kubectlJson<CertificateObject>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'certificate', name])
  const secretData = (ctx: string, ns: string, name: string) => kubectlJson<{data: Record<string, string>}>(env, ['--context', ctx, '-n', ns, 'get', 'secret', name]).data
  const providerSerial = (ctx: string, ns: string) => serialOf(decode(secretData(ctx, ns, 'service-gw-client-certificates')['tls.crt']))
  const issuedSerial = (client: string) => serialOf(decode(secretData('ctx-a', serverNs, `service-gw-client-${client}`)['tls.crt']))

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    set = started
    env = {kubeconfig: started.kubeconfig}
    cm = await certManager(set, 'ctx-a')
  })

  after(() => deleteNamespaces(env, [['ctx-a', serverNs], ['ctx-b', remoteNs], ['ctx-a', localNs]]))

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`cert-manager log (tail):\n${cm?.log().split('\n').slice(-30).join('\n')}\n`)
  })

  it('server install --cert-manager: our CA chain and the server Certificate, each Ready, the mode stored', async () => {
    const started = Date.now()
    const result = expectOk(await svcgw(env, ['server', 'install', ...home, '--service-type', 'NodePort', '--cert-manager', '--renew-before', '720h']), 'server install')
    process.stderr.write(`      measured: server install --cert-manager ${Date.now() - started} ms\n`)
    assert.match(result.stdout, /certificates issued by cert-manager \(CA Issuer svcgw-ca\)/)
    for (const name of ['svcgw-ca', 'svcgw-server']) {
      assert.equal(certificate(name).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', name)
    }
    const server = certificate('svcgw-server')
    assert.equal(server.spec.secretName, 'service-gw-server-certificates')
    assert.deepEqual(server.spec.usages, ['server auth', 'digital signature', 'key encipherment'])
    const settings = JSON.parse(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['settings.json']) as {
      pki: {mode: string; renewBefore: string}
    }
    assert.deepEqual(settings.pki, {mode: 'cert-manager', renewBefore: '720h'})
    // The server trusts the CA cert-manager made; the pod is Ready.
    const trust = kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-server-trust']).data['ca.crt']
    assert.equal(serialOf(trust), serialOf(decode(secretData('ctx-a', serverNs, 'service-gw-ca')['tls.crt'])))
    // Re-running converges: no new CA, no new server certificate.
    const revision = server.status?.revision
    expectOk(await svcgw(env, ['server', 'install', ...home, '--service-type', 'NodePort', '--cert-manager', '--renew-before', '720h']), 'server install again')
    assert.equal(certificate('svcgw-server').status?.revision, revision)
    // Without the flag a re-run keeps the stored mode.
    expectOk(await svcgw(env, ['server', 'install', ...home, '--service-type', 'NodePort']), 'server install without --cert-manager')
    assert.equal(certificate('svcgw-server').status?.revision, revision)
    assert.match(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['settings.json'], /"mode":\s*"cert-manager"/)
  })

  it('client install to two providers copies only tls.crt, tls.key and ca.crt of the Secret cert-manager issued', async () => {
    expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-b', '--client-namespace', remoteNs]), 'client install ctx-b')
    expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-a', '--name', 'local', '--client-namespace', localNs]), 'client install local')
    for (const [ctx, ns, client] of [['ctx-b', remoteNs, 'ctx-b'], ['ctx-a', localNs, 'local']]) {
      const data = secretData(ctx, ns, 'service-gw-client-certificates')
      assert.deepEqual(Object.keys(data).sort(), ['ca.crt', 'tls.crt', 'tls.key'])
      assert.equal(providerSerial(ctx, ns), issuedSerial(client), `${client} holds what cert-manager issued`)
      assert.equal(new X509Certificate(decode(data['tls.crt'])).subject, `CN=${client}`)
      const certificateObject = certificate(`svcgw-client-${client}`)
      assert.deepEqual(certificateObject.spec.usages, ['client auth', 'digital signature', 'key encipherment'])
    }
    const everything = kubectlJson<{items: Array<{data?: Record<string, string>}>}>(env, ['--context', 'ctx-b', '-n', remoteNs, 'get', 'secrets'])
    const keys = everything.items.flatMap((s) => Object.values(s.data ?? {})).map(decode).filter((v) => v.includes('PRIVATE KEY'))
    assert.equal(keys.length, 1, 'only the client key, never the CA key')
    const status = expectOk(await svcgw(env, ['certs', 'status', ...home, '-o', 'json']), 'certs status')
    const rows = (JSON.parse(status.stdout) as {certificates: Array<{name: string; provider?: string}>}).certificates
    assert.deepEqual(rows.filter((r) => r.provider).map((r) => [r.name, r.provider]).sort(), [['ctx-b', 'in-sync'], ['local', 'in-sync']])
  })

  it('certs rotate --to asks cert-manager for a new certificate (Issuing condition, as cmctl renew), distributes it, then revokes the old serial', async () => {
    const before = registry().clients.find((c) => c.name === 'ctx-b')!.serial
    const revision = certificate('svcgw-client-ctx-b').status?.revision ?? 0
    const started = Date.now()
    expectOk(await svcgw(env, ['certs', 'rotate', '--to', 'ctx-b', ...home]), 'certs rotate')
    process.stderr.write(`      measured: certs rotate --to (cert-manager issues, provider runs it, old serial revoked) ${Date.now() - started} ms\n`)
    assert.ok((certificate('svcgw-client-ctx-b').status?.revision ?? 0) > revision, 'cert-manager issued again')
    const after = registry().clients.find((c) => c.name === 'ctx-b')!.serial
    assert.notEqual(after, before)
    assert.equal(after, issuedSerial('ctx-b'))
    assert.equal(providerSerial('ctx-b', remoteNs), after)
    assert.ok(registry().revoked.some((r) => r.serial === before), 'the old serial is revoked')
  })

  it('a renewal cert-manager makes on its own shows as drift in certs status (exit 8), and certs sync fixes it', async () => {
    const held = providerSerial('ctx-a', localNs)
    const revision = certificate('svcgw-client-local').status?.revision ?? 0
    // Renew one minute after issuance: cert-manager acts on its own, as it would near expiry.
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'patch', 'certificate', 'svcgw-client-local', '--type=merge', '-p', '{"spec":{"renewBefore":"26279h59m"}}'])
    await until('cert-manager to renew svcgw-client-local', async () => (certificate('svcgw-client-local').status?.revision ?? 0) > revision, 150_000)
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'patch', 'certificate', 'svcgw-client-local', '--type=json', '-p', '[{"op":"remove","path":"/spec/renewBefore"}]'])
    const renewed = issuedSerial('local')
    assert.notEqual(renewed, held)
    const status = await svcgw(env, ['certs', 'status', ...home])
    assert.equal(status.status, 8, status.stderr)
    assert.match(status.stdout, new RegExp(`local .*behind \\(issuer holds ${renewed}\\)`))
    assert.match(status.stderr, /hold an older certificate than their issuer: local: distribute them with "kubectl svcgw certs sync --all"/)
    // A dry run changes nothing.
    expectOk(await svcgw(env, ['certs', 'sync', '--all', ...home, '--dry-run']), 'certs sync --dry-run')
    assert.equal(providerSerial('ctx-a', localNs), held)
    expectOk(await svcgw(env, ['certs', 'sync', '--all', ...home]), 'certs sync')
    assert.equal(providerSerial('ctx-a', localNs), renewed)
    assert.ok(registry().revoked.some((r) => r.serial === held))
    const again = expectOk(await svcgw(env, ['certs', 'status', ...home, '-o', 'json']), 'certs status after sync')
    assert.deepEqual((JSON.parse(again.stdout) as {behind: string[]}).behind, [])
  })

  it('certs rotate --ca moves the server and both providers to a new CA of cert-manager, then drops the old one', async () => {
    const oldCa = registry().certificates!.ca!
    const started = Date.now()
    const result = expectOk(await svcgw(env, ['certs', 'rotate', '--ca', ...home]), 'certs rotate --ca')
    process.stderr.write(`      measured: certs rotate --ca (cert-manager mode, 2 providers) ${Date.now() - started} ms\n`)
    assert.match(result.stdout, /the previous CA .* is dropped/)
    const reg = registry()
    const newCa = reg.certificates!.ca!
    assert.notEqual(newCa.serial, oldCa.serial)
    assert.match(newCa.issuer ?? '', /^svcgw-ca-[0-9a-f]{6}$/)
    assert.equal(reg.certificates?.previousCa, undefined)
    assert.ok(reg.revoked.some((r) => r.serial === oldCa.serial), 'the old CA is revoked by its serial')
    assert.equal(certificate('svcgw-server').spec.issuerRef.name, newCa.issuer)
    for (const c of reg.clients) assert.deepEqual([c.ca, c.trust], [newCa.serial, [newCa.serial]], c.name)
    for (const [ctx, ns] of [['ctx-b', remoteNs], ['ctx-a', localNs]]) {
      const data = secretData(ctx, ns, 'service-gw-client-certificates')
      assert.equal(serialOf(decode(data['ca.crt'])), newCa.serial, 'the provider trusts the new CA alone')
    }
    assert.throws(() => kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'certificate', 'svcgw-ca']), /NotFound/, 'the old CA Certificate is gone')
    // Both clients connected with their new certificates.
    for (const [ctx, ns] of [['ctx-b', remoteNs], ['ctx-a', localNs]]) {
      kubectl(env, ['--context', ctx, '-n', ns, 'wait', '--for=condition=Available', 'deployment/svcgw-client', '--timeout=60s'])
    }
  })

  it('uninstall removes the Certificates and Issuers with the rest', async () => {
    expectOk(await svcgw(env, ['client', 'uninstall', '--to', 'ctx-b', ...home, '--yes']), 'client uninstall')
    assert.throws(() => kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'certificate', 'svcgw-client-ctx-b']), /NotFound/)
    expectOk(await svcgw(env, ['client', 'uninstall', '--to', 'ctx-a', '--name', 'local', ...home, '--yes']), 'client uninstall local')
    expectOk(await svcgw(env, ['server', 'uninstall', ...home, '--yes']), 'server uninstall')
    const left = kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'certificates,issuers,secrets', '-o', 'name', '--ignore-not-found'])
    assert.equal(left.trim(), '')
  })
})
