import {strict as assert} from 'node:assert'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {clusters} from '../fixture.js'
import {assertOneLineError} from '../../unit/cli/run-cli.js'
import {type Env, expectOk, kubectl, kubectlJson, svcgw, uniqueName} from './harness.js'

/** The test kubeconfig plus a context whose cluster is a closed loopback port. */
function withDeadContext(kubeconfig: string): string {
  const config = yaml.load(readFileSync(kubeconfig, 'utf8')) as {
    clusters: Array<{name: string; cluster: Record<string, unknown>}>
    contexts: Array<{name: string; context: {cluster: string; user: string}}>
  }
  const a = config.contexts.find((c) => c.name === 'ctx-a')!
  config.clusters.push({name: 'dead', cluster: {server: 'https://127.0.0.1:9', 'insecure-skip-tls-verify': true}})
  config.contexts.push({name: 'ctx-dead', context: {cluster: 'dead', user: a.context.user}})
  const path = join(mkdtempSync(join(tmpdir(), 'svcgw-kc-')), 'config')
  writeFileSync(path, yaml.dump(config))
  return path
}

describe('gateway failures leave nothing half-applied (real clusters and nodes)', function () {
  this.timeout(120_000)
  let env: Env
  const serverNs = uniqueName('gwf')

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: withDeadContext(started.kubeconfig)}
  })

  after(() => {
    try {
      kubectl(env, ['--context', 'ctx-a', 'delete', 'namespace', serverNs, '--wait=false', '--ignore-not-found'])
    } catch {}
  })

  it('a server whose image cannot start times out (exit 7) saying why, and is rolled back entirely', async () => {
    // Nothing can be pulled on the test nodes: the pod waits in ErrImagePull/ImagePullBackOff, as with a typo in --openvpn-image.
    const ns = uniqueName('gwt')
    const result = await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', ns, '--service-type', 'NodePort', '--openvpn-image', 'svcgw.test/no-such-image:1', '--timeout', '20s'])
    assertOneLineError(result, 7, /did not become available in time \(container openvpn of svcgw-server-[a-z0-9-]+: (ErrImagePull|ImagePullBackOff) \(.{1,120}\)\): check "kubectl --context ctx-a -n gwt-[0-9a-f]+ describe deployment svcgw-server"/)
    assert.match(result.stderr, /rolling back/)
    const phase = kubectl(env, ['--context', 'ctx-a', 'get', 'namespace', ns, '--ignore-not-found', '-o', 'jsonpath={.status.phase}'])
    assert.ok(phase === '' || phase === 'Terminating', `namespace phase ${phase}`)
    if (phase === 'Terminating') {
      const left = kubectlJson(env, ['--context', 'ctx-a', '-n', ns, 'get', 'deployments,services,configmaps,secrets', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw']).items
      assert.equal(left.length, 0)
    }
  })

  it('client install to an unreachable provider fails with exit 5 and registers nothing', async () => {
    expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', serverNs, '--service-type', 'NodePort', '--timeout', '60s']), 'server install')
    const result = await svcgw(env, ['client', 'install', '--context', 'ctx-a', '-n', serverNs, '--to', 'ctx-dead', '--timeout', '20s'])
    assert.equal(result.status, 5, result.stderr)
    assert.match(result.stderr, /cannot reach the cluster of context "ctx-dead"/)
    const data = kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data
    assert.deepEqual((JSON.parse(data['registry.json']) as {clients: unknown[]}).clients, [])
  })

  it('an unknown provider context is "not found" naming the contexts there are', async () => {
    assertOneLineError(
      await svcgw(env, ['client', 'install', '--context', 'ctx-a', '-n', serverNs, '--to', 'ctx-nope']),
      3,
      /no context "ctx-nope" in the kubeconfig: use one of: .*ctx-b/,
    )
  })

  it('a restricted user cannot install: exit 6, nothing created', async () => {
    const ns = uniqueName('gwr')
    assertOneLineError(await svcgw(env, ['server', 'install', '--context', 'ctx-a-restricted', '-n', ns, '--no-wait']), 6, /forbidden in context "ctx-a-restricted"/)
    assert.equal(kubectl(env, ['--context', 'ctx-a', 'get', 'namespace', ns, '--ignore-not-found', '-o', 'name']), '')
  })

  it('commands against a namespace without a server say how to install one', async () => {
    assertOneLineError(await svcgw(env, ['list', '--context', 'ctx-a', '-n', uniqueName('none')]), 3, /no gateway server in namespace .* run "kubectl svcgw server install" first/)
  })
})
