import {writeFileSync} from 'node:fs'
import {request} from 'node:http'
import {CoreV1Api, DiscoveryV1Api, KubeConfig, RbacAuthorizationV1Api} from '@kubernetes/client-node'

import {COREDNS_USER} from '../pki.js'
import {CLUSTER_DNS} from './kubelet.js'
import type {NodeLayout} from './layout.js'
import {Supervisor} from './supervisor.js'

const READY_PORT = 8181

/**
 * The cluster's DNS: CoreDNS as a process in the node's namespace (not a
 * pod: nothing to schedule before the first pod can resolve), listening on
 * the node's address. Pods reach it as the kube-dns Service, which has no
 * selector and one EndpointSlice naming the node. Names outside
 * cluster.local are not forwarded anywhere: the nodes have no way out.
 */
function corefile(node: NodeLayout): string {
  return `.:53 {
    bind ${node.ip}
    errors
    health ${node.ip}:8080
    ready ${node.ip}:${READY_PORT}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${node.coredns.kubeconfig} default
        pods insecure
        ttl 5
    }
    cache 5
}
`
}

/** What CoreDNS may read (as upstream's system:coredns role), and the kube-dns Service. */
async function apply(kc: KubeConfig, node: NodeLayout): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api)
  await rbac.createClusterRole({
    body: {
      metadata: {name: 'system:coredns'},
      rules: [
        {apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch']},
        {apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch']},
      ],
    },
  })
  await rbac.createClusterRoleBinding({
    body: {
      metadata: {name: 'system:coredns'},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns'},
      subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: COREDNS_USER}],
    },
  })
  const ports = [
    {name: 'dns', port: 53, protocol: 'UDP'},
    {name: 'dns-tcp', port: 53, protocol: 'TCP'},
  ]
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace: 'kube-system',
    body: {metadata: {name: 'kube-dns', labels: {'k8s-app': 'kube-dns'}}, spec: {clusterIP: CLUSTER_DNS, ports: ports.map((p) => ({...p, targetPort: 53}))}},
  })
  await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace: 'kube-system',
    body: {
      metadata: {name: 'kube-dns', labels: {'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'svcgw-test-harness'}},
      addressType: 'IPv4',
      endpoints: [{addresses: [node.ip], conditions: {ready: true}, nodeName: node.name}],
      ports,
    },
  })
}

export async function startCoreDNS(supervisor: Supervisor, binary: string, node: NodeLayout, mountns: string, admin: KubeConfig): Promise<void> {
  await apply(admin, node)
  writeFileSync(node.coredns.corefile, corefile(node))
  supervisor.start(`coredns-${node.letter}`, binary, ['-conf', node.coredns.corefile], {netns: node.netns, mountns})
}

/** CoreDNS's ready plugin answers 200 once the kubernetes plugin has synced. */
export async function waitCoreDNS(supervisor: Supervisor, node: NodeLayout, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    supervisor.check()
    const status = await new Promise<number>((resolve) => {
      const req = request({host: node.ip, port: READY_PORT, path: '/ready', timeout: 1000}, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', () => resolve(0))
      req.on('timeout', () => req.destroy())
      req.end()
    })
    if (status === 200) return
    if (Date.now() > deadline) throw new Error(`CoreDNS of node ${node.letter} not ready after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
