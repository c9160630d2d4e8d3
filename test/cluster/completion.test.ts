import {strict as assert} from 'node:assert'

import {clusters} from './fixture.js'
import {deleteNamespaces, type Env, registryOnlyGateway, uniqueName} from './gateway/harness.js'
import {kubectlComplete} from '../unit/cli/run-cli.js'

/**
 * TAB on values that live in the clusters, through the real kubectl (`kubectl __complete
 * svcgw …` runs kubectl_complete-svcgw): contexts, registered clients and exposed services from
 * the registry, and a provider's Services for expose.
 */
describe('completion of cluster values (real kubectl, real clusters)', function () {
  this.timeout(180_000)
  let env: Env
  const serverNs = uniqueName('cpl')
  const clientNs = uniqueName('cplc')
  const appNs = uniqueName('cplapp')
  const home = ['--context', 'ctx-a', '-n', serverNs]
  const complete = (words: string[]) => kubectlComplete(words, {KUBECONFIG: env.kubeconfig})

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    await registryOnlyGateway(env, {server: serverNs, client: clientNs, app: appNs})
  })

  after(() => {
    if (env) deleteNamespaces(env, [['ctx-a', serverNs], ['ctx-b', clientNs], ['ctx-b', appNs]])
  })

  it('contexts of the kubeconfig for --to and --context', () => {
    assert.deepEqual(complete(['client', 'install', '--to', 'ctx-']).values.filter((c) => !c.includes('restricted')), ['ctx-a', 'ctx-b'])
    assert.ok(complete(['status', '--context', '']).values.includes('ctx-b'))
  })

  it('exposed services for unexpose, from the registry of the namespace given, each once', () => {
    const {lines, directive} = complete(['unexpose', ...home, ''])
    assert.deepEqual(lines.sort(), [`shop-api\tapi.${appNs}:8080`, `web\tweb.${appNs}:80`])
    assert.equal(directive, 4)
    assert.deepEqual(complete(['unexpose', ...home, 'web', '']).values, ['shop-api'])
  })

  it('registered clients for --client', () => {
    assert.deepEqual(complete(['certs', 'rotate', ...home, '--client', '']).lines, ['edge-b\tctx-b'])
  })

  it("a provider's Services for expose: from --to, else from the context a client was installed from", () => {
    assert.deepEqual(complete(['expose', ...home, '--to', 'ctx-b', '--service-namespace', appNs, '']).values.sort(), ['api', 'web'])
    assert.deepEqual(complete(['expose', ...home, '--service-namespace', appNs, 'w']).values, ['web'])
  })

  it('a namespace with no gateway offers nothing, silently', () => {
    assert.deepEqual(complete(['unexpose', '--context', 'ctx-a', '-n', 'no-such-gateway', '']).lines, [])
  })
})
