import {strict as assert} from 'node:assert'
import {execFileSync} from 'node:child_process'
import {AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, V1Service} from '@kubernetes/client-node'

import {clusters, freshNamespace, kubeConfig} from './fixture.js'
import {IMAGES} from './images.js'
import {RESTRICTED_USER} from './pki.js'
import type {ClusterSet} from './up.js'
import {apply, execIn, fetchFrom, kubectl, probePod, until, waitFor, webBackend} from './workloads.js'

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

  it('server-side applies a Deployment and a Service; the controller-manager makes a ReplicaSet, the scheduler places its Pods on the node', async () => {
    const ns = await freshNamespace(set, 'ctx-a')
    const kc = kubeConfig(set, 'ctx-a')
    const objects = KubernetesObjectApi.makeApiClient(kc)
    const labels = {app: 'smoke'}
    await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {name: 'smoke', namespace: ns.name},
        spec: {
          replicas: 2,
          selector: {matchLabels: labels},
          template: {metadata: {labels}, spec: {terminationGracePeriodSeconds: 0, containers: [{name: 'c', image: IMAGES.testbox, command: ['sleep', '86400']}]}},
        },
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
    await until('a ReplicaSet', async () => (await apps.listNamespacedReplicaSet({namespace: ns.name})).items.length === 1)
    const pods = await until('two Pods running', async () => {
      const list = await core.listNamespacedPod({namespace: ns.name})
      return list.items.length === 2 && list.items.every((p) => p.status?.phase === 'Running') && list.items
    })
    assert.deepEqual(
      pods.map((p) => p.spec?.nodeName),
      ['node-a', 'node-a'],
    )
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

  it('forbids the restricted user (RBAC): 403; kubectl auth whoami names it', async () => {
    const core = kubeConfig(set, 'ctx-a-restricted').makeApiClient(CoreV1Api)
    await assert.rejects(core.listNamespace(), (error: {code?: number}) => error.code === 403)
    assert.match(kubectl(set, 'ctx-b-restricted', ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']), new RegExp(`^${RESTRICTED_USER}$`))
  })
})

describe('test nodes run real pods, and two clusters are two networks', function () {
  this.timeout(120_000)
  let set: ClusterSet
  const ns: Record<string, {name: string; remove: () => Promise<void>}> = {}
  /** Per context: the backend pod's IP, its Service's ClusterIP and NodePort. */
  const web: Record<string, {podIP: string; clusterIP: string; nodePort: number}> = {}
  const page = (context: string) => new RegExp(`^cluster ${context.slice(-1)} pod web-`)

  before(async function () {
    this.timeout(45 * 60_000)
    const started = await clusters()
    if (!started) return this.skip()
    set = started
    this.timeout(120_000)
    for (const context of set.contexts) {
      ns[context] = await freshNamespace(set, context, 'node')
      apply(set, context, ns[context].name, [...webBackend('web', context.slice(-1)), probePod('probe')])
    }
    for (const context of set.contexts) {
      waitFor(set, context, ns[context].name, 'deployment/web')
      waitFor(set, context, ns[context].name, 'pod/probe')
      const core = kubeConfig(set, context).makeApiClient(CoreV1Api)
      const [pod] = (await core.listNamespacedPod({namespace: ns[context].name, labelSelector: 'app=web'})).items
      const svc = await core.readNamespacedService({name: 'web', namespace: ns[context].name})
      web[context] = {podIP: pod.status!.podIP!, clusterIP: svc.spec!.clusterIP!, nodePort: svc.spec!.ports![0].nodePort!}
    }
  })

  after(async () => {
    for (const n of Object.values(ns)) await n.remove()
  })

  it('has one Ready, untainted node per cluster, at the address the harness reports', async () => {
    assert.equal(set.nodes.length, 2)
    for (const node of set.nodes) {
      const n = await kubeConfig(set, node.context).makeApiClient(CoreV1Api).readNode({name: node.name})
      assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True')
      assert.deepEqual(n.spec?.taints ?? [], [])
      assert.equal(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, node.ip)
    }
    assert.notEqual(set.nodes[0].ip, set.nodes[1].ip)
    assert.match(set.execInNode('ctx-b', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']), new RegExp(` ${set.nodes[1].ip.replaceAll('.', '\\.')}/`))
    assert.match(set.nodeLog('ctx-a', 'kubelet'), /Successfully registered node|Started kubelet/)
  })

  it('runs a Deployment of testbox on each cluster, its pod in that cluster\'s pod range', () => {
    assert.match(web['ctx-a'].podIP, /^10\.244\./)
    assert.match(web['ctx-b'].podIP, /^10\.245\./)
  })

  it('resolves a Service by its DNS name from another pod and answers through its ClusterIP', async () => {
    for (const context of set.contexts) {
      const fqdn = `web.${ns[context].name}.svc.cluster.local`
      const lookup = await until(`${fqdn} in DNS`, () => execIn(set, context, ns[context].name, 'probe', ['nslookup', fqdn]))
      assert.match(lookup, new RegExp(`Address:\\s+${web[context].clusterIP.replaceAll('.', '\\.')}`))
      // The first request after a pod turns Ready can race kube-proxy's sync.
      const answer = await until(`an answer from ${fqdn}`, () => fetchFrom(set, context, ns[context].name, 'probe', `http://${fqdn}/`))
      assert.match(answer, page(context))
      assert.match(await fetchFrom(set, context, ns[context].name, 'probe', 'http://web/'), page(context), 'the short name, through the search path')
    }
  })

  it('runs kubectl exec and kubectl logs through the kubelet', async () => {
    assert.equal(kubectl(set, 'ctx-b', ['exec', '-n', ns['ctx-b'].name, 'probe', '--', 'sh', '-c', 'echo $((6 * 7))']).trim(), '42')
    const logs = kubectl(set, 'ctx-a', ['logs', '-n', ns['ctx-a'].name, 'deployment/web'])
    assert.equal(typeof logs, 'string')
    // httpd -f logs nothing; a container that writes shows up in its logs.
    kubectl(set, 'ctx-a', ['run', 'talker', '-n', ns['ctx-a'].name, `--image=${IMAGES.testbox}`, '--restart=Never', '--', 'sh', '-c', 'echo hello from $HOSTNAME'])
    const said = await until('the talker\'s log', async () => kubectl(set, 'ctx-a', ['logs', '-n', ns['ctx-a'].name, 'talker']).trim() || undefined)
    assert.equal(said, 'hello from talker')
  })

  it('reaches a NodePort of cluster A from a pod of cluster B, through A\'s node address', async () => {
    const [a] = set.nodes
    const answer = await until('the NodePort', () => fetchFrom(set, 'ctx-b', ns['ctx-b'].name, 'probe', `http://${a.ip}:${web['ctx-a'].nodePort}/`))
    assert.match(answer, page('ctx-a'))
  })

  for (const [from, to] of [
    ['ctx-b', 'ctx-a'],
    ['ctx-a', 'ctx-b'],
  ]) {
    it(`cannot reach a pod IP or a ClusterIP of ${to} from a pod of ${from}`, async () => {
      const own = ns[to].name
      const theirs = ns[from].name
      // Within its own cluster the same addresses answer: the negative checks below mean something.
      assert.match(await fetchFrom(set, to, own, 'probe', `http://${web[to].podIP}:8080/`), page(to))
      assert.match(await until('the ClusterIP', () => fetchFrom(set, to, own, 'probe', `http://${web[to].clusterIP}/`)), page(to))
      await assert.rejects(fetchFrom(set, from, theirs, 'probe', `http://${web[to].podIP}:8080/`, 2), `${from} reached a pod IP of ${to}`)
      // Service ranges overlap: the same ClusterIP may be one of this cluster's own Services, never the other's backend.
      const viaClusterIP = await fetchFrom(set, from, theirs, 'probe', `http://${web[to].clusterIP}/`, 2).catch(() => '')
      assert.doesNotMatch(viaClusterIP, page(to))
    })
  }

  it('has the gateway image on both nodes; it runs openvpn, haproxy as uid 99, busybox wget and ip', async () => {
    for (const node of set.nodes) {
      const n = await kubeConfig(set, node.context).makeApiClient(CoreV1Api).readNode({name: node.name})
      const present = (n.status?.images ?? []).flatMap((i) => i.names ?? [])
      assert.ok(present.includes(IMAGES.gateway), `${IMAGES.gateway} not on ${node.name}: ${present.join(', ')}`)
    }
    const context = 'ctx-b'
    const namespace = ns[context].name
    apply(set, context, namespace, [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name: 'gateway'},
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: 'openvpn',
              image: IMAGES.gateway,
              command: ['sleep', 'infinity'],
              securityContext: {allowPrivilegeEscalation: false, capabilities: {add: ['NET_ADMIN', 'MKNOD']}},
            },
            {
              name: 'proxy',
              image: IMAGES.gateway,
              command: ['sleep', 'infinity'],
              securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 99, capabilities: {drop: ['ALL']}},
            },
          ],
        },
      },
    ])
    waitFor(set, context, namespace, 'pod/gateway')
    const run = (container: string, argv: string[]) => execIn(set, context, namespace, 'gateway', argv, container)
    assert.match(await run('openvpn', ['openvpn', '--version']), /^OpenVPN 2\.6\./)
    assert.match(await run('openvpn', ['ip', '-V']), /iproute2/)
    // The tunnel device as openvpn-run.sh makes it (tun.sh), with only NET_ADMIN and MKNOD.
    await run('openvpn', ['sh', '-c', 'mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && ip tuntap add mode tun dev tun0 && ip link show tun0'])
    assert.equal((await run('proxy', ['id', '-u'])).trim(), '99')
    assert.match(await run('proxy', ['haproxy', '-v']), /^HAProxy version \d+\.\d+/)
    await run('proxy', ['busybox', 'wget', '--help']).catch((error: {stderr?: string}) => assert.match(error.stderr ?? '', /Usage: wget/))
    // wget as the readiness probe runs it (haproxy-stats.sh), here against the cluster's DNS and a Service.
    assert.match(await until('wget in the gateway image', () => run('proxy', ['wget', '-q', '-O', '-', `http://web.${namespace}.svc.cluster.local/`])), page(context))
  })
})
