import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {assertOneLineError, runCli} from './run-cli.js'
import {openssl} from '../../support/openssl.js'

interface Obj {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace?: string; labels?: Record<string, string>}
  data?: Record<string, string>
  type?: string
  spec?: Record<string, unknown>
}

const decode = (o: Obj | undefined, key: string): string => Buffer.from(o?.data?.[key] ?? '', 'base64').toString('utf8')
const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  Secret: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
}

function checkObjects(objects: Obj[], namespace: string, component: string): void {
  for (const o of objects) {
    assert.equal(o.apiVersion, API_VERSIONS[o.kind], `${o.kind}/${o.metadata.name} apiVersion`)
    assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
    if (o.kind === 'Namespace') {
      assert.equal(o.metadata.name, namespace)
      assert.equal(o.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged')
      continue
    }
    assert.equal(o.metadata.namespace, namespace, `${o.kind}/${o.metadata.name} namespace`)
    assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'kubectl-svcgw')
    assert.equal(o.metadata.labels?.['app.kubernetes.io/component'], component)
  }
  const deployment = objects.find((o) => o.kind === 'Deployment')!
  const spec = deployment.spec as {
    selector: {matchLabels: Record<string, string>}
    template: {metadata: {labels: Record<string, string>}; spec: {automountServiceAccountToken: boolean; volumes: Array<{name: string; configMap?: {name: string}; secret?: {secretName: string}}>; containers: Array<{securityContext: {privileged?: boolean; capabilities?: {add?: string[]}}}>}}
  }
  for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.equal(spec.template.metadata.labels[k], v, 'selector matches pod labels')
  assert.equal(spec.template.spec.automountServiceAccountToken, false)
  for (const c of spec.template.spec.containers) {
    assert.notEqual(c.securityContext.privileged, true)
    for (const cap of c.securityContext.capabilities?.add ?? []) assert.ok(['NET_ADMIN', 'MKNOD'].includes(cap), cap)
  }
  // Every volume the pod mounts is an object of the same output, with a file mode Kubernetes accepts.
  for (const v of spec.template.spec.volumes as Array<{name: string; configMap?: {name: string; defaultMode?: number}; secret?: {secretName: string; defaultMode?: number}}>) {
    const mode = v.configMap?.defaultMode ?? v.secret?.defaultMode
    if (mode !== undefined) assert.ok(mode >= 0 && mode <= 0o777, `volume ${v.name} defaultMode ${mode}`)
    if (v.secret) assert.equal(mode, 0o400, 'key material is readable by its owner only')
    if (v.configMap) assert.ok(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap!.name), `ConfigMap ${v.configMap.name}`)
    if (v.secret) assert.ok(objects.some((o) => o.kind === 'Secret' && o.metadata.name === v.secret!.secretName), `Secret ${v.secret.secretName}`)
  }
}

describe('offline dry run (no cluster contacted)', function () {
  this.timeout(60_000)
  // Nothing to contact: any attempt would fail with another exit code than the ones asserted.
  const env = {KUBECONFIG: '/nonexistent/kubeconfig'}
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-offline-'))

  it('server install --dry-run --offline -o yaml prints every server object, Secrets masked', () => {
    const result = runCli(['server', 'install', '--dry-run', '--offline', '-o', 'yaml', '-n', 'gw'], env)
    assert.equal(result.status, 0, result.stderr)
    const objects = yaml.loadAll(result.stdout) as Obj[]
    checkObjects(objects, 'gw', 'server')
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`)
    for (const expected of ['Namespace/gw', 'Secret/service-gw-ca', 'Secret/service-gw-server-certificates', 'Secret/service-gw-tls-crypt', 'ConfigMap/svcgw-registry', 'Deployment/svcgw-server', 'Service/svcgw-server']) {
      assert.ok(kinds.includes(expected), `missing ${expected} in ${kinds.join(', ')}`)
    }
    for (const secret of objects.filter((o) => o.kind === 'Secret')) {
      for (const [key, value] of Object.entries(secret.data ?? {})) assert.equal(value, '***', `${secret.metadata.name} ${key} is masked`)
    }
    assert.doesNotMatch(result.stdout, /PRIVATE KEY|LS0tLS1CRUdJTi/, 'no key, in clear or base64')
  })

  it('--show-secrets prints the key material, consistent and checked by openssl', () => {
    const result = runCli(['server', 'install', '--dry-run', '--offline', '--show-secrets', '-o', 'yaml', '-n', 'gw'], env)
    assert.equal(result.status, 0, result.stderr)
    const objects = yaml.loadAll(result.stdout) as Obj[]
    const tls = find(objects, 'Secret', 'service-gw-server-certificates')
    assert.equal(tls?.type, 'kubernetes.io/tls')
    const files = {'ca.crt': decode(tls, 'ca.crt'), 'tls.crt': decode(tls, 'tls.crt'), 'tls.key': decode(tls, 'tls.key')}
    assert.match(openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslserver', 'tls.crt'], files), /tls.crt: OK/)
    assert.match(openssl(['x509', '-in', 'tls.crt', '-noout', '-ext', 'extendedKeyUsage'], files), /TLS Web Server Authentication/)
    assert.equal(openssl(['x509', '-in', 'tls.crt', '-noout', '-pubkey'], files), openssl(['pkey', '-in', 'tls.key', '-pubout'], files))
  })

  it('-o json prints a v1 List of the same objects', () => {
    const result = runCli(['server', 'install', '--dry-run', '--offline', '-o', 'json'], env)
    assert.equal(result.status, 0, result.stderr)
    const list = JSON.parse(result.stdout) as {kind: string; items: Obj[]}
    assert.equal(list.kind, 'List')
    checkObjects(list.items, 'svcgw', 'server')
  })

  it('honours the server flags in the rendered objects', () => {
    const result = runCli(
      ['server', 'install', '--dry-run', '--offline', '-o', 'json', '--service-type', 'NodePort', '--node-port', '31194', '--proto', 'udp', '--openvpn-image', 'example.org/ovpn:1', '--haproxy-image', 'example.org/hap:2'],
      env,
    )
    assert.equal(result.status, 0, result.stderr)
    const items = (JSON.parse(result.stdout) as {items: Obj[]}).items
    const spec = find(items, 'Service', 'svcgw-server')!.spec as {type: string; ports: Array<{protocol: string; nodePort: number}>}
    assert.equal(spec.type, 'NodePort')
    assert.deepEqual([spec.ports[0].protocol, spec.ports[0].nodePort], ['UDP', 31_194])
    const images = JSON.stringify(items.find((o) => o.kind === 'Deployment'))
    assert.match(images, /example\.org\/ovpn:1/)
    assert.match(images, /example\.org\/hap:2/)
  })

  it('a client planned offline is signed by the server plan\'s CA and shares its tls-crypt key: the pair can connect (same CA, same tls-crypt key)', () => {
    const server = runCli(['server', 'install', '--dry-run', '--offline', '--show-secrets', '-o', 'yaml', '-n', 'gw', '--proto', 'udp'], env)
    assert.equal(server.status, 0, server.stderr)
    const manifest = join(dir, 'server.yaml')
    writeFileSync(manifest, server.stdout)
    const client = runCli(['client', 'install', '--dry-run', '--offline', '--server-manifest', manifest, '--show-secrets', '-o', 'yaml', '--name', 'edge', '--client-namespace', 'prov'], env)
    assert.equal(client.status, 0, client.stderr)
    const serverObjects = yaml.loadAll(server.stdout) as Obj[]
    const objects = yaml.loadAll(client.stdout) as Obj[]
    checkObjects(objects, 'prov', 'client')
    const secrets = objects.filter((o) => o.kind === 'Secret')
    assert.deepEqual(secrets.map((s) => s.metadata.name).sort(), ['service-gw-client-certificates', 'service-gw-tls-crypt'])
    const tls = find(objects, 'Secret', 'service-gw-client-certificates')
    assert.deepEqual(Object.keys(tls?.data ?? {}).sort(), ['ca.crt', 'tls.crt', 'tls.key'])
    const files = {'ca.crt': decode(find(serverObjects, 'Secret', 'service-gw-ca'), 'tls.crt'), 'tls.crt': decode(tls, 'tls.crt')}
    assert.match(openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslclient', 'tls.crt'], files), /tls.crt: OK/, 'signed by the server plan\'s CA')
    assert.match(openssl(['x509', '-in', 'tls.crt', '-noout', '-subject'], files), /CN ?= ?edge/)
    assert.equal(decode(find(objects, 'Secret', 'service-gw-tls-crypt'), 'tls-crypt.key'), decode(find(serverObjects, 'Secret', 'service-gw-tls-crypt'), 'tls-crypt.key'))
    // The only private key is the client's own; the CA key never reaches a client.
    const keys = secrets.flatMap((s) => Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8'))).filter((v) => v.includes('PRIVATE KEY'))
    assert.equal(keys.length, 1, 'exactly one private key: the client key')
    // Without --address it dials the server Service in the SERVER's namespace, with the server's transport.
    const conf = (find(objects, 'ConfigMap', 'svcgw-client-openvpn')?.data ?? {})['client.conf'] ?? ''
    assert.match(conf, /^remote svcgw-server\.gw\.svc\.cluster\.local 1194$/m)
    assert.match(conf, /^proto udp$/m)
  })

  it('refuses a server manifest whose Secrets are masked, in one line naming --show-secrets', () => {
    const server = runCli(['server', 'install', '--dry-run', '--offline', '-o', 'yaml'], env)
    const manifest = join(dir, 'masked.yaml')
    writeFileSync(manifest, server.stdout)
    assertOneLineError(runCli(['client', 'install', '--dry-run', '--offline', '--server-manifest', manifest, '--name', 'edge'], env), 2, /holds no usable CA key.*--show-secrets/)
  })

  it('rejects a bad client name in one line before anything is read', () => {
    assertOneLineError(runCli(['client', 'install', '--dry-run', '--offline', '--name', 'Bad_Name'], env), 2, /^error: invalid client name "Bad_Name"/)
  })
})
