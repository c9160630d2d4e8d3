import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {createCA, issueClientCertificate, issueServerCertificate, type KeyPair} from '../../../src/pki/certificates.js'
import {inspectCertificate} from '../../../src/pki/inspect.js'
import {certManager} from '../certmanager/run.js'
import {clusters} from '../fixture.js'
import {assertOneLineError} from '../../unit/cli/run-cli.js'
import {deleteNamespaces, type Env, expectOk, kubectl, kubectlApply, svcgw} from './harness.js'

const b64 = (text: string) => Buffer.from(text).toString('base64')

/** A Secret as the chart's manual mode has the operator create it (kubernetes.io/tls, three keys), owned by the Helm release. */
function chartSecret(name: string, namespace: string, pair: KeyPair, ca: string, drop?: string): string {
  const data: Record<string, string> = {'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key), 'ca.crt': b64(ca)}
  if (drop) delete data[drop]
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Secret',
    // The apiserver requires tls.key of a kubernetes.io/tls Secret: one missing it was made Opaque.
    type: drop ? 'Opaque' : 'kubernetes.io/tls',
    metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'Helm'}, annotations: {'meta.helm.sh/release-name': 'service-gw', 'meta.helm.sh/release-namespace': namespace}},
    data,
  })
}

/** A stand-in for the chart's workload (no pod: 0 replicas): adopt records it for the take-over and leaves it as it is. */
const chartDeployment = (name: string, namespace: string) =>
  yaml.dump({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'Helm'}},
    spec: {replicas: 0, selector: {matchLabels: {app: name}}, template: {metadata: {labels: {app: name}}, spec: {containers: [{name: 'gw', image: 'svcgw.test/testbox:1'}]}}},
  })

/**
 * Adopting a chart-shaped install on real apiservers: objects made the way
 * the chart (manual Secrets) would have, in its namespaces `server` and
 * `client`. No tunnel of the chart's here (its Deployments have no pod):
 * the take-over under live traffic is test/e2e/adopt-live.test.ts's. Here
 * the plugin's server runs for real, so adopt --finish is refused for the
 * client it does not see connected.
 */
describe('adopt a chart install (real clusters)', function () {
  this.timeout(120_000)
  let env: Env
  const ca = createCA({commonName: 'chart-ca'})
  const otherCa = createCA({commonName: 'other-ca'})
  const server = issueServerCertificate(ca, {commonName: 'service-gw-server'})
  const client = issueClientCertificate(ca, {commonName: 'provider-b'})
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-adopt-'))
  const values = join(dir, 'server-values.yaml')
  const caKeyFile = join(dir, 'ca.key')
  const secretData = (ctx: string, ns: string, name: string) => kubectl(env, ['--context', ctx, '-n', ns, 'get', 'secret', name, '-o', 'jsonpath={.data}'])
  const registryExists = (ns: string) => kubectl(env, ['--context', 'ctx-a', '-n', ns, 'get', 'configmap', '--ignore-not-found', '-o', 'name']).includes('svcgw-registry')
  const takeoverOf = (ns: string) => {
    const cm = JSON.parse(kubectl(env, ['--context', 'ctx-a', '-n', ns, 'get', 'configmap', 'svcgw-registry', '-o', 'json'])) as {data: Record<string, string>}
    return (JSON.parse(cm.data['registry.json']) as {takeover?: unknown}).takeover
  }
  const replicas = (ctx: string, ns: string, name: string) => kubectl(env, ['--context', ctx, '-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}'])

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    for (const ns of ['server', 'server-key']) {
      kubectl(env, ['--context', 'ctx-a', 'create', 'namespace', ns])
      kubectlApply(env, 'ctx-a', chartSecret('service-gw-server-certificates', ns, server, ca.cert))
      kubectlApply(env, 'ctx-a', chartDeployment('service-gw-server', ns))
    }
    for (const ns of ['client', 'client-nokey', 'client-other']) kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', ns])
    kubectlApply(env, 'ctx-b', chartSecret('service-gw-client-certificates', 'client', client, ca.cert))
    kubectlApply(env, 'ctx-b', chartDeployment('service-gw-client', 'client'))
    kubectlApply(env, 'ctx-b', chartSecret('service-gw-client-certificates', 'client-nokey', client, ca.cert, 'tls.key'))
    kubectlApply(env, 'ctx-b', chartSecret('service-gw-client-certificates', 'client-other', issueClientCertificate(otherCa, {commonName: 'provider-b'}), otherCa.cert))
    writeFileSync(values, yaml.dump({services: [{name: 'nginx', port: 80, internalPort: 20080, clientService: {name: 'nginx', namespace: 'default', port: 8080}}]}))
    writeFileSync(caKeyFile, ca.key, {mode: 0o600})
  })

  after(() => deleteNamespaces(env, [['ctx-a', 'server'], ['ctx-a', 'server-key'], ['ctx-b', 'client'], ['ctx-b', 'client-nokey'], ['ctx-b', 'client-other'], ['ctx-b', 'client-nodeploy']]))

  it('bad inputs fail in one line naming the fix, and write nothing', async () => {
    assertOneLineError(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '--client-namespace', 'client-other']), 2, /service-gw-client-certificates in namespace client-other of context "ctx-b" \(CN provider-b\) is not signed by the server's CA chart-ca/)
    assertOneLineError(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '--client-namespace', 'client-nokey']), 2, /has no tls\.key: pass --client-namespace/)
    assertOneLineError(await svcgw(env, ['adopt', '--context', 'ctx-a', '-n', 'nowhere', '--to', 'ctx-b']), 2, /service-gw-server-certificates in namespace nowhere does not exist: pass -n with/)
    assertOneLineError(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '--ca-key-file', values]), 2, /holds no PEM private key/)
    // The chart's Deployments must be there to be taken over.
    kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', 'client-nodeploy'])
    kubectlApply(env, 'ctx-b', chartSecret('service-gw-client-certificates', 'client-nodeploy', client, ca.cert))
    assertOneLineError(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '--client-namespace', 'client-nodeploy']), 2, /the chart's deployment service-gw-client \(namespace client-nodeploy of ctx-b\) not found: pass -n and --client-namespace/)
    assert.equal(registryExists('server'), false)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'secret', 'service-gw-tls-crypt', '--ignore-not-found', '-o', 'name']), '')
  })

  it('--dry-run prints what it would do and writes nothing', async () => {
    const result = expectOk(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '-f', values, '--dry-run']), 'adopt --dry-run')
    assert.match(result.stderr, /would record 1 client\(s\).*provider-b/)
    assert.match(result.stderr, /nothing was changed/)
    assert.equal(registryExists('server'), false)
  })

  it('adopts: clients by CN with the serial they hold, services from -f, Secrets unchanged, no CA key, a take-over of the chart\'s Deployments pending', async () => {
    const serverBefore = secretData('ctx-a', 'server', 'service-gw-server-certificates')
    const clientBefore = secretData('ctx-b', 'client', 'service-gw-client-certificates')
    const result = expectOk(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '-f', values, '-o', 'json']), 'adopt')
    const out = JSON.parse(result.stdout) as {clients: Array<{name: string; serial: string}>; canIssue: boolean; remaining: string[]}
    assert.deepEqual(out.clients.map((c) => [c.name, c.serial]), [['provider-b', inspectCertificate(client.cert).serial]])
    assert.equal(out.canIssue, false)
    assert.ok(out.remaining.some((r) => r.includes('adopt --finish')))
    assert.deepEqual(takeoverOf('server'), {
      server: {deployment: 'service-gw-server', namespace: 'server'},
      clients: [{name: 'provider-b', context: 'ctx-b', namespace: 'client', deployment: 'service-gw-client'}],
    })
    const cm = JSON.parse(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'configmap', 'svcgw-registry', '-o', 'json'])) as {data: Record<string, string>}
    const registry = JSON.parse(cm.data['registry.json']) as {clients: Array<{name: string; serial: string; context: string; namespace: string}>; services: Array<{name: string; internalPort: number}>}
    assert.deepEqual(registry.clients.map((c) => [c.name, c.serial, c.context, c.namespace]), [['provider-b', inspectCertificate(client.cert).serial, 'ctx-b', 'client']])
    assert.deepEqual(registry.services.map((s) => [s.name, s.internalPort]), [['nginx', 20080]])
    assert.deepEqual((JSON.parse(cm.data['settings.json']) as {pki?: unknown}).pki, {mode: 'self', noCaKey: true})
    assert.equal(secretData('ctx-a', 'server', 'service-gw-server-certificates'), serverBefore)
    assert.equal(secretData('ctx-b', 'client', 'service-gw-client-certificates'), clientBefore)
    // The chart's server certificate has CN service-gw-server: the plugin's clients will verify that name.
    assert.equal((JSON.parse(cm.data['settings.json']) as {serverName?: string}).serverName, 'service-gw-server')
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'secret', 'service-gw-ca', '--ignore-not-found', '-o', 'name']), '')
    // The chart's workloads are left as they are.
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'deployment', '-o', 'jsonpath={.items[*].metadata.name}']), 'service-gw-server')
    // A second adopt is refused.
    assertOneLineError(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b']), 4, /already holds a gateway registry/)
  })

  it('adopt --finish is refused, changing nothing, while the plugin\'s server does not see the client connected (--dry-run too)', async () => {
    const finish = ['adopt', '--finish', '--context', 'ctx-a']
    assertOneLineError(await svcgw(env, finish), 4, /the plugin's server has no ready pod in namespace "server".*: install it beside the chart's: "kubectl svcgw server install --context ctx-a -n server"/)
    const installed = expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', 'server', '--service-type', 'NodePort']), 'server install beside the chart')
    assert.match(installed.stderr, /take-over of the chart pending/)
    // No consumer Service while the take-over is pending: the chart's (none here) keep routing.
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'service', 'nginx', '--ignore-not-found', '-o', 'name']), '')
    for (const args of [finish, [...finish, '--dry-run']]) {
      assertOneLineError(await svcgw(env, args), 4, /client\(s\) provider-b not connected to the plugin's server yet: install the plugin's client beside the chart's: "kubectl svcgw client install --context ctx-a -n server --to ctx-b"/)
    }
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'service', 'nginx', '--ignore-not-found', '-o', 'name']), '')
    assert.equal(replicas('ctx-a', 'server', 'service-gw-server'), '0')
    assert.ok(takeoverOf('server'))
    assert.equal(secretData('ctx-a', 'server', 'service-gw-server-certificates').length > 0, true)
  })

  it('server uninstall during a pending take-over keeps the certificate Secret the chart\'s server mounts', async () => {
    const serverBefore = secretData('ctx-a', 'server', 'service-gw-server-certificates')
    const result = expectOk(await svcgw(env, ['server', 'uninstall', '--context', 'ctx-a', '-n', 'server', '--yes']), 'server uninstall during the take-over')
    assert.match(result.stderr, /kept Secret service-gw-server-certificates: the chart's workloads, whose take-over is pending, mount it/)
    assert.equal(secretData('ctx-a', 'server', 'service-gw-server-certificates'), serverBefore)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server', 'get', 'deployment', '-o', 'jsonpath={.items[*].metadata.name}']), 'service-gw-server')
  })

  it('with --ca-key-file the CA key is stored in the server namespace only, and the gateway can issue', async () => {
    const result = expectOk(await svcgw(env, ['adopt', '--context', 'ctx-a', '-n', 'server-key', '--to', 'ctx-b', '--ca-key-file', caKeyFile, '-o', 'json']), 'adopt --ca-key-file')
    assert.equal((JSON.parse(result.stdout) as {canIssue: boolean}).canIssue, true)
    assert.doesNotMatch(result.stdout + result.stderr, /PRIVATE KEY/)
    const stored = Buffer.from(kubectl(env, ['--context', 'ctx-a', '-n', 'server-key', 'get', 'secret', 'service-gw-ca', '-o', 'jsonpath={.data.tls\\.key}']), 'base64').toString('utf8')
    assert.equal(stored, ca.key)
    const cm = JSON.parse(kubectl(env, ['--context', 'ctx-a', '-n', 'server-key', 'get', 'configmap', 'svcgw-registry', '-o', 'json'])) as {data: Record<string, string>}
    assert.equal((JSON.parse(cm.data['settings.json']) as {pki?: unknown}).pki, undefined)
  })
})

/** The chart's cert-manager objects: self-signed bootstrap → CA Certificate → CA Issuer, then the server's and a client's Certificates. */
function chartCertManagerChain(namespace: string): string {
  const issuer = (name: string, spec: object) => ({apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: {name, namespace}, spec})
  const certificate = (name: string, spec: object) => ({apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: {name, namespace}, spec})
  return [
    issuer('service-gw-selfsigned', {selfSigned: {}}),
    certificate('service-gw-ca', {isCA: true, commonName: 'chart-cm-ca', secretName: 'service-gw-ca-keypair', issuerRef: {name: 'service-gw-selfsigned', kind: 'Issuer'}}),
    issuer('service-gw-ca-issuer', {ca: {secretName: 'service-gw-ca-keypair'}}),
    certificate('service-gw-server', {commonName: 'service-gw-server', secretName: 'service-gw-server-certificates', usages: ['server auth', 'digital signature', 'key encipherment'], issuerRef: {name: 'service-gw-ca-issuer', kind: 'Issuer'}}),
    certificate('service-gw-client-provider-b', {commonName: 'provider-b', secretName: 'service-gw-client-provider-b', usages: ['client auth', 'digital signature', 'key encipherment'], issuerRef: {name: 'service-gw-ca-issuer', kind: 'Issuer'}}),
  ].map((o) => yaml.dump(o)).join('---\n')
}

/**
 * A chart installed with cert-manager (real cert-manager): the CA key is in
 * the server cluster, so the adopted gateway can issue; the client's
 * Secret was copied to the provider by hand, as the chart's users did.
 */
describe('adopt a cert-manager chart install (real cert-manager, real clusters)', function () {
  this.timeout(300_000)
  let env: Env

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    await certManager(started, 'ctx-a')
    kubectl(env, ['--context', 'ctx-a', 'create', 'namespace', 'server-cm'])
    kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', 'client-cm'])
    kubectlApply(env, 'ctx-a', chartCertManagerChain('server-cm'))
    kubectlApply(env, 'ctx-a', chartDeployment('service-gw-server', 'server-cm'))
    kubectlApply(env, 'ctx-b', chartDeployment('service-gw-client', 'client-cm'))
    for (const name of ['service-gw-ca', 'service-gw-server', 'service-gw-client-provider-b']) {
      kubectl(env, ['--context', 'ctx-a', '-n', 'server-cm', 'wait', '--for=condition=Ready', `certificate/${name}`, '--timeout=120s'])
    }
    const issued = JSON.parse(kubectl(env, ['--context', 'ctx-a', '-n', 'server-cm', 'get', 'secret', 'service-gw-client-provider-b', '-o', 'json'])) as {data: Record<string, string>}
    kubectlApply(env, 'ctx-b', yaml.dump({apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: {name: 'service-gw-client-certificates', namespace: 'client-cm'}, data: issued.data}))
  })

  after(() => {
    deleteNamespaces(env, [['ctx-a', 'server-cm'], ['ctx-b', 'client-cm'], ['ctx-a', 'server-cmc']])
    kubectl(env, ['--context', 'ctx-a', 'delete', 'clusterissuer', 'service-gw-cluster-ca', '--ignore-not-found'])
  })

  it('a chart issued by a ClusterIssuer: adopted without the CA key (it lives in cert-manager\'s namespace), with one line saying how to give it', async () => {
    // The server Secret as cert-manager leaves it for a ClusterIssuer (its annotations), copied from
    // the chain above; the ClusterIssuer is real (cert-manager's CRD), its CA Secret not needed here.
    const issued = JSON.parse(kubectl(env, ['--context', 'ctx-a', '-n', 'server-cm', 'get', 'secret', 'service-gw-server-certificates', '-o', 'json'])) as {data: Record<string, string>}
    kubectl(env, ['--context', 'ctx-a', 'create', 'namespace', 'server-cmc'])
    kubectlApply(env, 'ctx-a', [
      yaml.dump({apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: {name: 'service-gw-cluster-ca'}, spec: {ca: {secretName: 'service-gw-cluster-ca-keypair'}}}),
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {name: 'service-gw-server-certificates', namespace: 'server-cmc', annotations: {'cert-manager.io/issuer-kind': 'ClusterIssuer', 'cert-manager.io/issuer-name': 'service-gw-cluster-ca', 'cert-manager.io/issuer-group': 'cert-manager.io'}},
        data: issued.data,
      }),
      chartDeployment('service-gw-server', 'server-cmc'),
    ].join('---\n'))
    const result = expectOk(await svcgw(env, ['adopt', '--context', 'ctx-a', '-n', 'server-cmc', '--to', 'ctx-b', '--client-namespace', 'client-cm', '--dry-run']), 'adopt (ClusterIssuer)')
    assert.match(result.stderr, /no CA key: new clients need/)
    assert.match(result.stderr, /ClusterIssuer service-gw-cluster-ca, whose CA key \(Secret service-gw-cluster-ca-keypair\) lives in cert-manager's namespace: adopting without it; .*pass --ca-key-file/)
    assert.equal(kubectl(env, ['--context', 'ctx-a', '-n', 'server-cmc', 'get', 'configmap', '--ignore-not-found', '-o', 'name']).includes('svcgw-registry'), false, '--dry-run wrote no registry')
  })

  it('finds the CA key through the CA Issuer, stores it as the gateway CA, keeps the client serial', async () => {
    const clientPem = Buffer.from(kubectl(env, ['--context', 'ctx-b', '-n', 'client-cm', 'get', 'secret', 'service-gw-client-certificates', '-o', 'jsonpath={.data.tls\\.crt}']), 'base64').toString('utf8')
    const result = expectOk(await svcgw(env, ['adopt', '--context', 'ctx-a', '-n', 'server-cm', '--to', 'ctx-b', '--client-namespace', 'client-cm', '-o', 'json']), 'adopt (cert-manager)')
    const out = JSON.parse(result.stdout) as {clients: Array<{name: string; serial: string}>; canIssue: boolean; caKeySource: string}
    assert.deepEqual(out.clients.map((c) => [c.name, c.serial]), [['provider-b', inspectCertificate(clientPem).serial]])
    assert.equal(out.canIssue, true)
    assert.equal(out.caKeySource, 'cert-manager')
    assert.doesNotMatch(result.stdout + result.stderr, /PRIVATE KEY/)
    const key = (name: string) => kubectl(env, ['--context', 'ctx-a', '-n', 'server-cm', 'get', 'secret', name, '-o', 'jsonpath={.data.tls\\.key}'])
    assert.equal(key('service-gw-ca'), key('service-gw-ca-keypair'))
  })
})
