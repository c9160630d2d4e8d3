import {attempt, run} from './host.js'
import {names, nodeNetwork, type RunRecord} from './runs.js'

/**
 * The node network of a run, as two clusters would see the internet:
 *
 *   host namespace: bridge svgw<id>, 100.64.<n>.1/24 (the apiservers listen here too)
 *   node namespace svcgw-<id>-a: eth0 100.64.<n>.10/24 (veth to the bridge)
 *   node namespace svcgw-<id>-b: eth0 100.64.<n>.11/24
 *
 * Nodes reach each other and the apiservers over the bridge; they have no
 * default route, so nothing else (no pod CIDR, no ClusterIP of the other
 * cluster, no outside address) is reachable from them or their pods: an
 * address off the node subnet fails at once with "network unreachable".
 * The host does not forward between them (only bridging joins them).
 */
export function createNetwork(record: RunRecord): void {
  const n = names(record.id)
  const net = nodeNetwork(record.subnet)
  run('ip', ['link', 'add', n.bridge, 'type', 'bridge'])
  run('ip', ['addr', 'add', `${net.bridgeIP}/24`, 'dev', n.bridge])
  run('ip', ['link', 'set', n.bridge, 'up'])
  record.nodes.forEach((letter, i) => {
    const ns = n.netns(letter)
    run('ip', ['netns', 'add', ns])
    run('ip', ['link', 'add', n.hostVeth(letter), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
    run('ip', ['link', 'set', n.hostVeth(letter), 'master', n.bridge, 'up'])
    run('ip', ['-n', ns, 'addr', 'add', `${net.nodeIP(i)}/24`, 'dev', 'eth0'])
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    // Pods' traffic is routed by the node; kube-proxy sees bridged pod-to-pod
    // traffic (a pod reaching a Service backed by a pod of the same node).
    run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1'])
  })
}

/** Removes what createNetwork made; what is already gone is skipped. */
export function removeNetwork(record: RunRecord): void {
  const n = names(record.id)
  for (const letter of record.nodes) {
    // The veth pair goes with the namespace once nothing holds it.
    attempt('ip', ['netns', 'delete', n.netns(letter)])
    attempt('ip', ['link', 'delete', n.hostVeth(letter)])
  }
  attempt('ip', ['link', 'delete', n.bridge])
}
