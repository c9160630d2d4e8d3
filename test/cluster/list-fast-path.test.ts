import {strict as assert} from 'node:assert'
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import yaml from 'js-yaml'

import {clusters} from './fixture.js'
import {deleteNamespaces, type Env, kubectl, registryOnlyGateway, uniqueName} from './gateway/harness.js'
import {BIN} from '../unit/cli/run-cli.js'
import {loadedBy, packagesIn} from '../support/loaded.js'

interface Kubeconfig {
  clusters: Array<{name: string; cluster: Record<string, string>}>
  users: Array<{name: string; user: Record<string, unknown>}>
}

/**
 * `list` answered by bin/run.js without oclif or the Kubernetes client (src/fastpath), on the
 * real clusters: the same output as the full CLI, for the credentials it serves (client
 * certificates, a ServiceAccount token with a CA file beside the kubeconfig), and the full CLI
 * for those it leaves alone (an exec plugin). The load log tells which path answered.
 */
describe('list without oclif or the Kubernetes client (real clusters, load log)', function () {
  this.timeout(180_000)
  let env: Env
  const serverNs = uniqueName('lfp')
  const clientNs = uniqueName('lfpc')
  const appNs = uniqueName('lfpapp')
  const home = ['--context', 'ctx-a', '-n', serverNs]

  /** The plugin's list through bin/run.js with the load log: which libraries it loaded, and what it printed. */
  const list = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = loadedBy([BIN, 'list', ...args], {KUBECONFIG: env.kubeconfig, ...extraEnv})
    const packages = packagesIn(r.files)
    return {...r, full: packages.has('@kubernetes/client-node'), oclif: packages.has('@oclif/core')}
  }

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    await registryOnlyGateway(env, {server: serverNs, client: clientNs, app: appNs})
  })

  after(() => {
    if (env) deleteNamespaces(env, [['ctx-a', serverNs], ['ctx-b', clientNs], ['ctx-b', appNs]])
  })

  for (const output of ['text', 'json', 'yaml']) {
    it(`-o ${output}: the same output as the full CLI, from neither oclif nor the Kubernetes client`, () => {
      const fast = list([...home, '-o', output])
      const full = list([...home, '-o', output], {SVCGW_FULL_CLI: '1'})
      assert.equal(fast.status, 0, fast.stderr)
      assert.deepEqual([fast.full, fast.oclif], [false, false], 'the fast path answered')
      assert.deepEqual([full.full, full.oclif], [true, true], 'the control: the full CLI loads both')
      assert.equal(fast.stdout, full.stdout)
      assert.match(fast.stdout, /shop-api/)
    })
  }

  it('a namespace without a gateway: the full CLI answers with its error and exit code', () => {
    const r = list(['--context', 'ctx-a', '-n', uniqueName('none')])
    assert.equal(r.status, 3)
    assert.equal(r.full, true)
    assert.match(r.stderr, /no gateway server in namespace/)
  })

  it('a ServiceAccount token and a CA file named relative to the kubeconfig', () => {
    // A Role that reads the registry ConfigMap only, as an operator would hand out for list.
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'create', 'serviceaccount', 'lister'])
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'create', 'role', 'lister', '--verb=get', '--resource=configmaps', '--resource-name=svcgw-registry'])
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'create', 'rolebinding', 'lister', '--role=lister', `--serviceaccount=${serverNs}:lister`])
    const token = kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'create', 'token', 'lister']).trim()
    const admin = yaml.load(readFileSync(env.kubeconfig, 'utf8')) as Kubeconfig & {contexts: Array<{name: string; context: {cluster: string}}>}
    const a = admin.clusters.find((c) => c.name === admin.contexts.find((x) => x.name === 'ctx-a')!.context.cluster)!
    const dir = mkdtempSync(join(tmpdir(), 'svcgw-lfp-'))
    writeFileSync(join(dir, 'ca.crt'), Buffer.from(a.cluster['certificate-authority-data'], 'base64'))
    const kubeconfig = join(dir, 'config')
    writeFileSync(
      kubeconfig,
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'lister',
        clusters: [{name: 'a', cluster: {server: a.cluster.server, 'certificate-authority': 'ca.crt'}}],
        users: [{name: 'lister', user: {token}}],
        contexts: [{name: 'lister', context: {cluster: 'a', user: 'lister'}}],
      }),
      {mode: 0o600},
    )
    const fast = list(['-n', serverNs], {KUBECONFIG: kubeconfig})
    const full = list(['-n', serverNs], {KUBECONFIG: kubeconfig, SVCGW_FULL_CLI: '1'})
    assert.equal(fast.status, 0, fast.stderr)
    assert.equal(fast.full, false)
    assert.equal(fast.stdout, full.stdout)
    assert.match(fast.stdout, /shop-api/)
  })

  it('an exec credential plugin: left to the Kubernetes client, which answers the same', () => {
    const admin = yaml.load(readFileSync(env.kubeconfig, 'utf8')) as Kubeconfig & {contexts: Array<{name: string; context: {cluster: string; user: string}}>}
    const ctx = admin.contexts.find((c) => c.name === 'ctx-a')!.context
    const user = admin.users.find((u) => u.name === ctx.user)!.user as Record<string, string>
    const dir = mkdtempSync(join(tmpdir(), 'svcgw-lfp-exec-'))
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: Buffer.from(user['client-certificate-data'], 'base64').toString('utf8'),
        clientKeyData: Buffer.from(user['client-key-data'], 'base64').toString('utf8'),
      },
    }
    writeFileSync(join(dir, 'credential.json'), JSON.stringify(credential), {mode: 0o600})
    writeFileSync(join(dir, 'plugin.sh'), `#!/bin/sh\ncat '${join(dir, 'credential.json')}'\n`)
    chmodSync(join(dir, 'plugin.sh'), 0o700)
    const config = {
      ...admin,
      'current-context': 'ctx-a',
      users: [{name: ctx.user, user: {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: join(dir, 'plugin.sh'), interactiveMode: 'Never'}}}],
      contexts: [{name: 'ctx-a', context: ctx}],
    }
    const kubeconfig = join(dir, 'config')
    writeFileSync(kubeconfig, yaml.dump(config), {mode: 0o600})
    const r = list(['-n', serverNs], {KUBECONFIG: kubeconfig})
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.full, true, 'the full CLI answered')
    assert.equal(r.stdout, list(home).stdout)
  })
})
