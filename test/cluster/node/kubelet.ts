import {mkdirSync, writeFileSync} from 'node:fs'
import yaml from 'js-yaml'

import type {NodeLayout} from './layout.js'
import {Supervisor} from './supervisor.js'

export const CLUSTER_DNS = '10.96.0.10'

/**
 * The kubelet's configuration. Test-only choices: anonymous access with
 * AlwaysAllow (the apiserver reaches it for exec/logs without a client
 * certificate), eviction and image GC that never trigger on a busy
 * developer disk. Needed on this host: cgroupfs on cgroup v1 (failCgroupV1
 * false), swap tolerated. Its root dir, certificates, device-plugin socket
 * and logs are at their default paths, in the node's mount namespace (see
 * layout.ts), so two kubelets never meet. syncFrequency stays at its default (1m): the product must cope with
 * the real delay of ConfigMap volume updates.
 */
function kubeletConfig(node: NodeLayout): string {
  return yaml.dump({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: node.ip,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    authentication: {anonymous: {enabled: true}, webhook: {enabled: false}, x509: {}},
    authorization: {mode: 'AlwaysAllow'},
    containerRuntimeEndpoint: `unix://${node.containerd.insideSocket}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: node.cgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    clusterDNS: [CLUSTER_DNS],
    clusterDomain: 'cluster.local',
    // No upstream resolvers: the nodes have no way out (see network.ts).
    resolvConf: node.kubelet.resolvConf,
    evictionHard: {'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.inodesFree': '1%'},
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    rotateCertificates: false,
    serializeImagePulls: false,
    podPidsLimit: -1,
    volumePluginDir: node.kubelet.volumePluginDir,
  })
}

export function startKubelet(supervisor: Supervisor, binary: string, node: NodeLayout, mountns: string, v: number): void {
  mkdirSync(node.kubelet.volumePluginDir, {recursive: true})
  writeFileSync(node.kubelet.config, kubeletConfig(node))
  writeFileSync(node.kubelet.resolvConf, '# pods get the cluster DNS only\n')
  supervisor.start(
    `kubelet-${node.letter}`,
    binary,
    [
      'kubelet',
      `--config=${node.kubelet.config}`,
      `--kubeconfig=${node.kubelet.kubeconfig}`,
      `--node-ip=${node.ip}`,
      `--hostname-override=${node.name}`,
      `--v=${v}`,
    ],
    {netns: node.netns, mountns},
  )
}

/**
 * kube-proxy in iptables mode, in the node's namespace. It writes no
 * sysctls (conntrack sizes are global on this host) and offers NodePorts
 * on the node's address, not on 127.0.0.1 (which would need route_localnet).
 */
function proxyConfig(node: NodeLayout): string {
  return yaml.dump({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: {kubeconfig: node.proxy.kubeconfig},
    hostnameOverride: node.name,
    bindAddress: node.ip,
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    clusterCIDR: node.clusterCIDR,
    iptables: {localhostNodePorts: false},
    conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s'},
  })
}

export function startProxy(supervisor: Supervisor, binary: string, node: NodeLayout, mountns: string, v: number): void {
  writeFileSync(node.proxy.config, proxyConfig(node))
  supervisor.start(`kube-proxy-${node.letter}`, binary, ['kube-proxy', `--config=${node.proxy.config}`, `--v=${v}`], {netns: node.netns, mountns})
}
