import {writeFileSync} from 'node:fs'
import {CoreV1Api, KubeConfig} from '@kubernetes/client-node'

import {type ClusterPki, componentKubeconfig} from '../pki.js'
import {importImages, startContainerd} from './containerd.js'
import {startCoreDNS, waitCoreDNS} from './coredns.js'
import {startKubelet, startProxy} from './kubelet.js'
import type {NodeLayout} from './layout.js'
import {startMountNamespace} from './mounts.js'
import {Supervisor} from './supervisor.js'

export interface NodeBinaries {
  testcp: string
  coredns: string
  /** docker-archives imported into the node's containerd. */
  images: string[]
}

/**
 * What needs no apiserver: the node's mount namespace, containerd with every
 * image. Runs while the control plane starts. Returns the mount namespace.
 */
export async function prepareNode(supervisor: Supervisor, node: NodeLayout, images: string[]): Promise<string> {
  const mountns = await startMountNamespace(supervisor, node)
  await startContainerd(supervisor, node, mountns)
  await importImages(node, images)
  return mountns
}

/** Starts the node's kubelet, kube-proxy and CoreDNS against its cluster's apiserver. */
export async function joinNode(
  supervisor: Supervisor,
  binaries: NodeBinaries,
  node: NodeLayout,
  mountns: string,
  cluster: {server: string; pki: ClusterPki; admin: KubeConfig},
  v: number,
): Promise<void> {
  const kubeconfig = (user: ClusterPki['admin']) => componentKubeconfig(cluster.server, cluster.pki.ca, user)
  writeFileSync(node.kubelet.kubeconfig, kubeconfig(cluster.pki.kubelet), {mode: 0o600})
  writeFileSync(node.proxy.kubeconfig, kubeconfig(cluster.pki.proxy), {mode: 0o600})
  writeFileSync(node.coredns.kubeconfig, kubeconfig(cluster.pki.coredns), {mode: 0o600})
  startKubelet(supervisor, binaries.testcp, node, mountns, v)
  startProxy(supervisor, binaries.testcp, node, mountns, v)
  await startCoreDNS(supervisor, binaries.coredns, node, mountns, cluster.admin)
}

/**
 * Ready means a pod can be scheduled there and resolve names: the Node is
 * Ready, carries no NoSchedule/NoExecute taint (the node-lifecycle
 * controller removes the not-ready one), and CoreDNS has synced.
 */
export async function waitNode(supervisor: Supervisor, node: NodeLayout, admin: KubeConfig, timeoutMs: number): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api)
  const deadline = Date.now() + timeoutMs
  let last = 'not registered'
  for (;;) {
    supervisor.check()
    try {
      const n = await core.readNode({name: node.name})
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready')
      const taints = (n.spec?.taints ?? []).filter((t) => t.effect !== 'PreferNoSchedule')
      if (ready?.status === 'True' && taints.length === 0) break
      last = ready?.status !== 'True' ? `Ready=${ready?.status ?? '?'} (${ready?.message ?? ''})` : `tainted ${taints.map((t) => t.key).join(',')}`
    } catch {
      // not registered yet
    }
    if (Date.now() > deadline) throw new Error(`node ${node.name} not ready after ${timeoutMs} ms: ${last}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await waitCoreDNS(supervisor, node, Math.max(deadline - Date.now(), 5000))
}
