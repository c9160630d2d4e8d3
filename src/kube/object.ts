/**
 * Kubernetes objects as plain JSON, the shapes this tool reads and writes.
 * Our own types, so nothing outside src/kube depends on the client library's
 * classes (whose dates are Date objects and whose names can differ from the
 * API's). Only the fields we use are spelled out.
 */
export interface ObjectMeta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  resourceVersion?: string
  deletionTimestamp?: string
  [key: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [key: string]: unknown
}

/** What names one object: enough to read, patch or delete it. */
export interface ObjectRef {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
}

export const refOf = (o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace ? {namespace: o.metadata.namespace} : {}),
})

/** kubectl's short form: "configmap/svcgw-registry". */
export const describeRef = (r: ObjectRef): string => `${r.kind.toLowerCase()}/${r.name}`

/** One key per object, for maps and journals. */
export const keyOf = (r: ObjectRef): string => `${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

export interface Secret extends KubeObject {
  type?: string
  /** Base64, as the API returns it. */
  data?: Record<string, string>
}

export interface Deployment extends KubeObject {
  metadata: ObjectMeta & {generation?: number}
  spec?: {replicas?: number; selector?: {matchLabels?: Record<string, string>}; template?: {metadata?: {annotations?: Record<string, string>}}}
  status?: {
    observedGeneration?: number
    replicas?: number
    updatedReplicas?: number
    availableReplicas?: number
    readyReplicas?: number
    conditions?: Array<{type: string; status: string; reason?: string; message?: string}>
  }
}

export interface ReplicaSet extends KubeObject {
  metadata: ObjectMeta & {ownerReferences?: Array<{kind: string; name: string}>}
  status?: {conditions?: Array<{type: string; status: string; reason?: string; message?: string}>}
}

export interface ContainerStatus {
  name: string
  ready: boolean
  restartCount: number
  state?: {waiting?: {reason?: string; message?: string}; running?: {startedAt?: string}; terminated?: {reason?: string; exitCode?: number}}
  lastState?: {terminated?: {reason?: string; exitCode?: number; finishedAt?: string}}
}

export interface Pod extends KubeObject {
  spec?: {nodeName?: string; containers?: Array<{name: string; image?: string}>}
  status?: {
    phase?: string
    podIP?: string
    conditions?: Array<{type: string; status: string}>
    containerStatuses?: ContainerStatus[]
  }
}

export interface ServicePort {
  name?: string
  port: number
  targetPort?: number | string
  nodePort?: number
  protocol?: string
}

export interface Service extends KubeObject {
  spec?: {type?: string; clusterIP?: string; selector?: Record<string, string>; ports?: ServicePort[]}
  status?: {loadBalancer?: {ingress?: Array<{ip?: string; hostname?: string}>}}
}

export interface Node extends KubeObject {
  status?: {addresses?: Array<{type: string; address: string}>; conditions?: Array<{type: string; status: string}>}
}

export interface Namespace extends KubeObject {
  status?: {phase?: string}
}

/** Whether a pod is Running, not being deleted, and Ready. */
export const podReady = (pod: Pod): boolean =>
  pod.status?.phase === 'Running' &&
  !pod.metadata.deletionTimestamp &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')

/** Equality selectors only ("a=b,c=d"), which is all this tool writes. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=')
      return labels?.[key] === value
    })
}

export const selectorString = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

/** discovery.k8s.io/v1: where a Service's traffic goes (one slice of its endpoints). */
export interface EndpointSlice extends KubeObject {
  addressType?: string
  endpoints?: Array<{
    addresses: string[]
    conditions?: {ready?: boolean; serving?: boolean; terminating?: boolean}
    targetRef?: {kind?: string; name?: string; namespace?: string}
  }>
  ports?: Array<{name?: string; port?: number; protocol?: string}>
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[]}>
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector
  namespaceSelector?: LabelSelector
  ipBlock?: {cidr: string; except?: string[]}
}

export interface NetworkPolicyPort {
  protocol?: string
  port?: number | string
  endPort?: number
}

/** networking.k8s.io/v1 NetworkPolicy, as the API returns it. */
export interface NetworkPolicy extends KubeObject {
  spec?: {
    podSelector?: LabelSelector
    policyTypes?: Array<'Ingress' | 'Egress'>
    ingress?: Array<{from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[]}>
    egress?: Array<{to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[]}>
  }
}
