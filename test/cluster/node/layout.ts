import {join} from 'node:path'

import {names, nodeNetwork, type RunRecord} from './runs.js'

/**
 * Where everything of one node lives, and its addresses.
 *
 * A node's processes run in a mount namespace of its own where /run,
 * /var/lib and /var/log are the node's directories (see mounts.ts). So the
 * paths the kubelet and containerd hard-code (/var/lib/kubelet/pki and
 * device-plugins, /var/log/containers, /run/containerd/s for shim sockets,
 * /var/lib/cni, /run/xtables.lock) are the node's own, and every mount they
 * make stays in that namespace and vanishes with its last process.
 * `inside` paths are as the node's processes see them; the others as the host does.
 */
export interface NodeLayout {
  letter: string
  /** The Node object's name. */
  name: string
  ip: string
  netns: string
  cniNetwork: string
  /** This node's pods. Each cluster has its own range (see docs/testing.md). */
  podCIDR: string
  clusterCIDR: string
  /** The kubelet's cgroup root: every container of the node is below it. */
  cgroupRoot: string
  dir: string
  /** Host directories mounted on /run, /var/lib and /var/log in the node's mount namespace. */
  binds: Array<{source: string; target: string}>
  containerd: {config: string; socket: string; insideSocket: string}
  cni: {confDir: string}
  kubelet: {config: string; kubeconfig: string; volumePluginDir: string; resolvConf: string}
  proxy: {config: string; kubeconfig: string}
  coredns: {corefile: string; kubeconfig: string}
}

export function nodeLayout(record: RunRecord, index: number): NodeLayout {
  const letter = record.nodes[index]
  const n = names(record.id)
  const dir = join(record.dir, `node-${letter}`)
  const binds = ['/run', '/var/lib', '/var/log'].map((target) => ({source: join(dir, 'root', target), target}))
  return {
    letter,
    name: `node-${letter}`,
    ip: nodeNetwork(record.subnet).nodeIP(index),
    netns: n.netns(letter),
    cniNetwork: n.cniNetwork(letter),
    podCIDR: `10.${244 + index}.0.0/24`,
    clusterCIDR: `10.${244 + index}.0.0/16`,
    cgroupRoot: `/${n.cgroup}/node-${letter}`,
    dir,
    binds,
    containerd: {
      config: join(dir, 'containerd.toml'),
      socket: join(dir, 'root', 'run', 'containerd', 'containerd.sock'),
      insideSocket: '/run/containerd/containerd.sock',
    },
    cni: {confDir: join(dir, 'cni')},
    kubelet: {
      config: join(dir, 'kubelet.yaml'),
      kubeconfig: join(dir, 'kubelet.kubeconfig'),
      volumePluginDir: join(dir, 'volume-plugins'),
      resolvConf: join(dir, 'resolv.conf'),
    },
    proxy: {config: join(dir, 'kube-proxy.yaml'), kubeconfig: join(dir, 'kube-proxy.kubeconfig')},
    coredns: {corefile: join(dir, 'Corefile'), kubeconfig: join(dir, 'coredns.kubeconfig')},
  }
}
