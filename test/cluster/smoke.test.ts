import {strict as assert} from 'node:assert'
import {execFileSync} from 'node:child_process'
import {AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, V1Service} from '@kubernetes/client-node'

import {clusters, freshNamespace, kubeConfig} from './fixture.js'
import {ClusterSet} from './up.js'

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

describe('test control planes are real Kubernetes', function () {
  this.timeout(120_000)
  let set: ClusterSet

  before(async function () {
    this.timeout(45 * 60_000)
    const started = await clusters()
    if (!started) return this.skip()
    set = started
  })

  it('reports the upstream version', async () => {
    const out = execFileSync('kubectl', ['--kubeconfig', set.kubeconfig, '--context', 'ctx-a', 'version', '-o', 'json'], {encoding: 'utf8'})
    assert.match((JSON.parse(out) as {serverVersion: {gitVersion: string}}).serverVersion.gitVersion, /^v1\.34\.\d+$/)
  })

  it('server-side applies a Deployment and a Service; the controller-manager makes a ReplicaSet and Pods', async () => {
    const ns = await freshNamespace(set, 'ctx-a')
    const kc = kubeConfig(set, 'ctx-a')
    const objects = KubernetesObjectApi.makeApiClient(kc)
    const labels = {app: 'smoke'}
    await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {name: 'smoke', namespace: ns.name},
        spec: {replicas: 2, selector: {matchLabels: labels}, template: {metadata: {labels}, spec: {containers: [{name: 'c', image: 'example.org/none:1'}]}}},
      },
      undefined,
      undefined,
      'kubectl-svcgw',
      true,
      PatchStrategy.ServerSideApply,
    )
    const service: V1Service = await objects.patch<V1Service>(
      {apiVersion: 'v1', kind: 'Service', metadata: {name: 'smoke', namespace: ns.name}, spec: {selector: labels, ports: [{port: 80}]}},
      undefined,
      undefined,
      'kubectl-svcgw',
      true,
      PatchStrategy.ServerSideApply,
    )
    assert.match(service.spec?.clusterIP ?? '', /^10\.96\./)
    const managers = (service.metadata?.managedFields ?? []).map((f) => `${f.manager}/${f.operation}`)
    assert.ok(managers.includes('kubectl-svcgw/Apply'), managers.join(','))
    const apps = kc.makeApiClient(AppsV1Api)
    const core = kc.makeApiClient(CoreV1Api)
    await until('a ReplicaSet', async () => (await apps.listNamespacedReplicaSet({namespace: ns.name})).items.length === 1 || undefined)
    const pods = await until('two Pods', async () => {
      const list = await core.listNamespacedPod({namespace: ns.name})
      return list.items.length === 2 ? list.items : undefined
    })
    assert.ok(pods.every((p) => p.status?.phase === 'Pending'), 'no kubelet: Pods stay Pending')
    await ns.remove()
  })

  it('completes a namespace deletion (namespace controller) and publishes the root CA', async () => {
    const ns = await freshNamespace(set, 'ctx-b')
    const core = kubeConfig(set, 'ctx-b').makeApiClient(CoreV1Api)
    await until('kube-root-ca.crt', async () => (await core.readNamespacedConfigMap({name: 'kube-root-ca.crt', namespace: ns.name})).data?.['ca.crt'])
    await until('the default ServiceAccount', async () => (await core.readNamespacedServiceAccount({name: 'default', namespace: ns.name})).metadata?.name)
    await core.createNamespacedConfigMap({namespace: ns.name, body: {metadata: {name: 'x'}, data: {a: 'b'}}})
    await ns.remove()
    await until('the namespace gone', async () => {
      try {
        await core.readNamespace({name: ns.name})
        return undefined
      } catch (error) {
        return (error as {code?: number}).code === 404 || undefined
      }
    })
  })

  it('answers the real kubectl on the second cluster, and keeps the clusters apart', async () => {
    const ns = await freshNamespace(set, 'ctx-b', 'only-b')
    const names = (ctx: string) => execFileSync('kubectl', ['--kubeconfig', set.kubeconfig, '--context', ctx, 'get', 'ns', '-o', 'name'], {encoding: 'utf8'})
    assert.match(names('ctx-b'), new RegExp(`namespace/${ns.name}`))
    assert.doesNotMatch(names('ctx-a'), new RegExp(`namespace/${ns.name}`))
    await ns.remove()
  })

  it('forbids the restricted user (RBAC): 403', async () => {
    const core = kubeConfig(set, 'ctx-a-restricted').makeApiClient(CoreV1Api)
    await assert.rejects(core.listNamespace(), (error: {code?: number}) => error.code === 403)
  })
})
