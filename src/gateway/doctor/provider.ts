import type {Pod, Service} from '../../kube/object.js'
import {selectorString} from '../../kube/object.js'
import type {ExposedService, RegisteredClient} from '../../registry/types.js'
import {selectorFor} from '../../render/objects.js'
import type {Provider} from '../providers.js'
import {DoctorContext, missingIf, needs, why} from './context.js'
import {exposeCommand, kubectlIn} from './fixes.js'
import {fail, type Hop, ok, unknown} from './model.js'
import {type Connection, describeConnection, evaluate, type PolicyVerdict} from './netpol.js'
import {readyEndpoints} from './server.js'

const fqdn = (ctx: DoctorContext, service: ExposedService) => `${service.clientService.name}.${service.clientService.namespace}.svc.${ctx.settings.clusterDomain}`

/** 5a. The provider Service: there, with the port the exposed service targets. */
export async function providerServiceHop(ctx: DoctorContext, service: ExposedService, provider: Provider): Promise<Hop> {
  const title = 'provider Service'
  const {name, namespace, port} = service.clientService
  const where = `${namespace}/${name} in ${provider.cluster.context}`
  const found = await ctx.service(provider.cluster, namespace, name)
  if (!found.ok) return unknown('provider-service', title, why(found.error), missingIf(found.error, needs('get', 'services', namespace, provider.cluster.context)))
  if (!found.value) {
    return fail('provider-service', title, `no Service ${where}`, 'the Service the exposed service targets does not exist', `create it again, or retarget: ${exposeCommand(ctx.home, service, {name: 'SERVICE'}, ctx.registry.clients)}`)
  }
  const ports = found.value.spec?.ports ?? []
  if (!ports.some((p) => p.port === port)) {
    const others = ports.map((p) => p.port)
    return fail(
      'provider-service',
      title,
      `Service ${where} has no port ${port} (its ports: ${others.join(', ') || 'none'})`,
      `clientService.port is ${port}`,
      others.length === 1 ? exposeCommand(ctx.home, service, {port: others[0]}, ctx.registry.clients) : exposeCommand(ctx.home, service, {}, ctx.registry.clients).replace(`--port ${port}`, '--port PORT'),
    )
  }
  return ok('provider-service', title, `${where} ${found.value.spec?.clusterIP ?? ''}:${port}`)
}

/** The provider Service's pods (its selector), for the endpoints hop and policies. */
const backendPods = async (ctx: DoctorContext, provider: Provider, svc: Service) => {
  const selector = svc.spec?.selector
  if (!selector || Object.keys(selector).length === 0) return undefined
  return ctx.pods(provider.cluster, svc.metadata.namespace ?? '', selectorString(selector))
}

/** 5b. Ready endpoints behind the provider Service. */
export async function endpointsHop(ctx: DoctorContext, service: ExposedService, provider: Provider): Promise<Hop> {
  const title = 'endpoints'
  const {name, namespace} = service.clientService
  const cluster = provider.cluster
  const [slices, svc] = await Promise.all([ctx.endpointSlices(cluster, namespace, name), ctx.service(cluster, namespace, name)])
  if (!slices.ok) return unknown('endpoints', title, why(slices.error), missingIf(slices.error, needs('list', 'endpointslices.discovery.k8s.io', namespace, cluster.context)))
  const ready = readyEndpoints(slices.value)
  if (ready.length > 0) {
    const pods = ready.map((e) => e.targetRef?.name ?? e.addresses[0]).slice(0, 3)
    return ok('endpoints', title, `${ready.length} ready (${pods.join(', ')}${ready.length > 3 ? ', …' : ''})`)
  }
  const selector = svc.ok && svc.value?.spec?.selector ? selectorString(svc.value.spec.selector) : undefined
  const pods = svc.ok && svc.value ? await backendPods(ctx, provider, svc.value) : undefined
  const seen = pods?.ok ? `its selector ${selector} matches ${pods.value.length} pod${pods.value.length === 1 ? '' : 's'}, ${pods.value.filter((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length} Ready` : selector ? `its selector is ${selector}` : 'it has no selector'
  return fail(
    'endpoints',
    title,
    `Service ${namespace}/${name} in ${cluster.context} has no ready endpoint`,
    seen,
    selector ? `start or fix its pods: ${kubectlIn(cluster.context, namespace, `get pods -l ${selector}`)}` : `give it endpoints: ${kubectlIn(cluster.context, namespace, `get endpointslices -l kubernetes.io/service-name=${name}`)}`,
  )
}

/** What `nslookup` in the client pod said of each name: the addresses, or the error. */
export function parseLookups(output: string): Map<string, {addresses: string[]; error?: string}> {
  const result = new Map<string, {addresses: string[]; error?: string}>()
  for (const block of output.split('@@svcgw-lookup ').slice(1)) {
    const [first, ...rest] = block.split('\n')
    const name = first.trim()
    const text = rest.join('\n')
    const rc = /@@rc=(\d+)/.exec(text)?.[1]
    const answer = text.split(/\nName:\s/)[1] ?? ''
    const addresses = [...answer.matchAll(/Address(?: \d+)?:\s*([0-9a-fA-F:.]+)/g)].map((m) => m[1])
    const error = text.split('\n').map((l) => l.trim()).find((l) => /can't find|timed out|no servers|NXDOMAIN|SERVFAIL|REFUSED|can't resolve|bad address/i.test(l))
    result.set(name, {addresses, ...(addresses.length === 0 ? {error: error ?? (rc === '124' ? 'no answer within 2 s' : rc && rc !== '0' ? `nslookup exited ${rc}` : 'no address in the answer')} : {})})
  }
  return result
}

/** One exec per client pod resolves every name its services need. */
export function lookups(ctx: DoctorContext, provider: Provider, pod: Pod) {
  const names = [...new Set(ctx.registry.services.map((s) => fqdn(ctx, s)))].sort()
  // In parallel, each answer printed in one write (well under PIPE_BUF, so never interleaved).
  const script = [...names.map((n) => `( out=$(timeout 2 nslookup ${n} 2>&1; echo "@@rc=$?"); printf '@@svcgw-lookup %s\\n%s\\n' ${n} "$out" ) &`), 'wait'].join('\n')
  return ctx.exec(provider.cluster, provider.namespace, pod.metadata.name, 'proxy', script, 'nslookup')
}

/** 5c. The provider Service's name resolves through the cluster's DNS from the client pod (HAProxy resolves it so). */
export async function dnsHop(ctx: DoctorContext, service: ExposedService, provider: Provider): Promise<Hop> {
  const title = 'DNS'
  const name = fqdn(ctx, service)
  const pods = await ctx.clientPods(provider)
  const pod = pods.ok ? pods.value.find((p) => p.status?.phase === 'Running') : undefined
  if (!pod) return unknown('dns', title, `${name}: no running client pod to resolve it from`)
  const [out, svc] = await Promise.all([lookups(ctx, provider, pod), ctx.service(provider.cluster, service.clientService.namespace, service.clientService.name)])
  if (!out.ok) return unknown('dns', title, `${name}: ${out.error.message}`, missingIf(out.error, needs('create', 'pods/exec', provider.namespace, provider.cluster.context)))
  const answer = parseLookups(out.value).get(name)
  if (answer && answer.addresses.length > 0) {
    const clusterIP = svc.ok ? svc.value?.spec?.clusterIP : undefined
    const matches = !clusterIP || clusterIP === 'None' || answer.addresses.includes(clusterIP)
    if (!matches) {
      return fail('dns', title, `${name} resolves to ${answer.addresses.join(', ')} from ${pod.metadata.name}`, `the Service's ClusterIP is ${clusterIP}`, `check the cluster's DNS (stale records?): ${kubectlIn(provider.cluster.context, 'kube-system', 'get pods -l k8s-app=kube-dns')}`)
    }
    return ok('dns', title, `${name} → ${answer.addresses.join(', ')} (from ${pod.metadata.name})`)
  }
  const error = answer?.error ?? 'no answer'
  const dns = await ctx.endpointSlices(provider.cluster, 'kube-system', 'kube-dns')
  const dnsEndpoints = dns.ok ? readyEndpoints(dns.value).length : undefined
  const notFound = /NXDOMAIN|can't find/i.test(error)
  const cause =
    dnsEndpoints === 0
      ? `the cluster's DNS (kube-system/kube-dns) has no ready endpoint in ${provider.cluster.context}: "${error}"`
      : notFound
        ? `the name does not exist in the cluster's DNS ("${error}"): is the cluster domain "${ctx.settings.clusterDomain}" right for ${provider.cluster.context}?`
        : `the cluster's DNS does not answer the client pod: "${error}"`
  const fix =
    dnsEndpoints === 0 || !notFound
      ? `bring CoreDNS back: ${kubectlIn(provider.cluster.context, 'kube-system', 'get pods,endpointslices -l k8s-app=kube-dns')}`
      : `reinstall the server with the providers' domain: --cluster-domain DOMAIN`
  return fail('dns', title, `${name} does not resolve from ${pod.metadata.name}`, cause, fix)
}

/** The connections a client's branch needs, to check against the NetworkPolicies that may select either end. */
async function branchConnections(ctx: DoctorContext, service: ExposedService, client: RegisteredClient, provider: Provider) {
  const checks: Array<{cluster: Provider['cluster']; namespace: string; connection: Connection; subject: string}> = []
  const pods = await ctx.clientPods(provider)
  const clientPod = pods.ok ? pods.value[0] : undefined
  const clientLabels = clientPod?.metadata.labels ?? selectorFor('client')
  const clientNsLabels = await ctx.namespaceLabels(provider.cluster, provider.namespace)
  const proto = ctx.settings.proto.toUpperCase() as 'TCP' | 'UDP'
  // The tunnel: egress from the client pod to the server's address.
  const [host, port] = (() => {
    const endpoint = client.endpoint ?? ''
    const i = endpoint.lastIndexOf(':')
    return [endpoint.slice(0, i).replace(/^\[|\]$/g, ''), Number(endpoint.slice(i + 1))]
  })()
  if (host && port) {
    checks.push({cluster: provider.cluster, namespace: provider.namespace, subject: 'the client pod', connection: {direction: 'egress', namespace: provider.namespace, podLabels: clientLabels, peer: {what: 'the server', ip: host}, port, protocol: proto}})
  }
  // The tunnel, seen from the server: ingress on its port (the client's own pod when it is in the server's cluster).
  const serverPod = await ctx.serverPod()
  const sameCluster = provider.cluster.server === ctx.cluster.server
  checks.push({
    cluster: ctx.cluster,
    namespace: ctx.namespace,
    subject: 'the server pod',
    connection: {
      direction: 'ingress',
      namespace: ctx.namespace,
      podLabels: serverPod?.metadata.labels ?? selectorFor('server'),
      peer: sameCluster
        ? {what: `client ${client.name}`, namespace: provider.namespace, namespaceLabels: clientNsLabels, podLabels: clientLabels, ...(clientPod?.status?.podIP ? {ip: clientPod.status.podIP} : {})}
        : {what: `client ${client.name} (another cluster)`, anyone: true},
      port: ctx.settings.port,
      protocol: proto,
    },
  })
  // DNS: egress to kube-dns.
  const dns = await ctx.endpointSlices(provider.cluster, 'kube-system', 'kube-dns')
  const dnsIP = dns.ok ? readyEndpoints(dns.value)[0]?.addresses[0] : undefined
  const kubeSystem = await ctx.namespaceLabels(provider.cluster, 'kube-system')
  for (const protocol of ['UDP', 'TCP'] as const) {
    checks.push({
      cluster: provider.cluster,
      namespace: provider.namespace,
      subject: 'the client pod',
      connection: {direction: 'egress', namespace: provider.namespace, podLabels: clientLabels, peer: {what: 'the cluster DNS', namespace: 'kube-system', namespaceLabels: kubeSystem, podLabels: {'k8s-app': 'kube-dns'}, ...(dnsIP ? {ip: dnsIP} : {})}, port: 53, protocol},
    })
  }
  // The provider Service's pods: egress from the client, ingress to them.
  const {name, namespace} = service.clientService
  const [svc, slices] = await Promise.all([ctx.service(provider.cluster, namespace, name), ctx.endpointSlices(provider.cluster, namespace, name)])
  if (svc.ok && svc.value) {
    const ready = slices.ok ? readyEndpoints(slices.value) : []
    const svcPort = (svc.value.spec?.ports ?? []).find((p) => p.port === service.clientService.port)
    const slicePort = ready[0]?.ports.find((p) => !svcPort?.name || p.name === svcPort.name)
    const targetPort = slicePort?.port ?? (typeof svcPort?.targetPort === 'number' ? svcPort.targetPort : service.clientService.port)
    const pods = await backendPods(ctx, provider, svc.value)
    const backend = pods?.ok ? pods.value[0] : undefined
    const backendNsLabels = await ctx.namespaceLabels(provider.cluster, namespace)
    const backendLabels = backend?.metadata.labels ?? svc.value.spec?.selector ?? {}
    checks.push({
      cluster: provider.cluster,
      namespace: provider.namespace,
      subject: 'the client pod',
      connection: {direction: 'egress', namespace: provider.namespace, podLabels: clientLabels, peer: {what: `${namespace}/${name}'s pods`, namespace, namespaceLabels: backendNsLabels, podLabels: backendLabels, ...(backend?.status?.podIP ? {ip: backend.status.podIP} : {})}, port: targetPort, ...(slicePort?.name ? {portName: slicePort.name} : {}), protocol: 'TCP'},
    })
    checks.push({
      cluster: provider.cluster,
      namespace,
      subject: `${namespace}/${name}'s pods`,
      connection: {direction: 'ingress', namespace, podLabels: backendLabels, peer: {what: `client ${client.name}`, namespace: provider.namespace, namespaceLabels: clientNsLabels, podLabels: clientLabels, ...(clientPod?.status?.podIP ? {ip: clientPod.status.podIP} : {})}, port: targetPort, ...(slicePort?.name ? {portName: slicePort.name} : {}), protocol: 'TCP'},
    })
  }
  return checks
}

/** 4d. NetworkPolicies along this client's branch: client namespace (egress), provider Service's namespace and server namespace (ingress). */
export async function clientPolicyHop(ctx: DoctorContext, service: ExposedService, client: RegisteredClient, provider: Provider, tunnelUp: boolean): Promise<Hop> {
  const title = 'network policy'
  const checks = await branchConnections(ctx, service, client, provider)
  const unread: string[] = []
  let undecided: string | undefined
  let counted = 0
  for (const check of checks) {
    const policies = await ctx.networkPolicies(check.cluster, check.namespace)
    if (!policies.ok) {
      unread.push(needs('list', 'networkpolicies.networking.k8s.io', check.namespace, check.cluster.context))
      continue
    }
    counted += policies.value.length
    const verdict: PolicyVerdict = evaluate(policies.value, check.connection)
    if (verdict.verdict === 'denied') {
      const named = verdict.policies.map((p) => `NetworkPolicy ${p}`).join(', ')
      const ruleKind = check.connection.direction === 'egress' ? 'an egress rule' : 'an ingress rule'
      const works = check.connection.peer.what.startsWith('the server') && tunnelUp ? ' (the tunnel is up all the same: this cluster\'s network plugin does not enforce NetworkPolicies, one that does would cut it)' : ''
      return fail(
        'client-policy',
        title,
        `${named} in ${check.namespace} (${check.cluster.context}) select${verdict.policies.length === 1 ? 's' : ''} ${check.subject}`,
        `no rule allows ${describeConnection(check.connection)}${works}`,
        `add ${ruleKind} for ${check.connection.peer.ip ?? check.connection.peer.what} port ${check.connection.port}/${check.connection.protocol}: ${kubectlIn(check.cluster.context, check.namespace, `edit networkpolicy ${verdict.policies[0]}`)}`,
      )
    }
    if (verdict.verdict === 'unknown') undecided ??= `${verdict.policies.join(', ')} in ${check.namespace} may not allow ${describeConnection(check.connection)} (a rule names peers doctor cannot place)`
  }
  if (unread.length > 0) return unknown('client-policy', title, 'NetworkPolicies unreadable', {missing: [...new Set(unread)].join('; ')})
  if (undecided) return unknown('client-policy', title, undecided)
  return ok('client-policy', title, counted === 0 ? 'no NetworkPolicy along the way' : `the ${counted} NetworkPolic${counted === 1 ? 'y' : 'ies'} along the way allow it`)
}
