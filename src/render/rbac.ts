import {usageError} from '../errors.js'
import {baseManifest, type KubeObject, labelsFor} from './objects.js'

export const RBAC_ROLES = ['viewer', 'operator', 'admin', 'doctor'] as const
export type RbacRole = (typeof RBAC_ROLES)[number]
export type RbacSide = 'home' | 'provider'

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount'
  name: string
  namespace?: string
}

/** "kind:name" or "ns/name" for a service account, as the rbac command takes them. */
export function parseServiceAccount(value: string): Subject {
  const [namespace, name] = value.split('/')
  if (!namespace || !name) throw usageError(`invalid --service-account "${value}"`, 'give it as NAMESPACE/NAME')
  return {kind: 'ServiceAccount', name, namespace}
}

const subjectBody = (s: Subject) => (s.kind === 'ServiceAccount' ? {kind: s.kind, name: s.name, namespace: s.namespace} : {kind: s.kind, name: s.name, apiGroup: 'rbac.authorization.k8s.io'})

/**
 * The Roles (in the gateway or client namespace) and ClusterRoles one task
 * needs, as shipped in manifests/rbac/, with bindings for the subjects given.
 */
export function rbacObjects(role: RbacRole, side: RbacSide, namespace: string, subjects: Subject[]): KubeObject[] {
  const objects = baseManifest(`rbac/${side}-${role}.yaml`) as unknown as KubeObject[]
  const component = side === 'home' ? 'server' : 'client'
  const out: KubeObject[] = []
  for (const object of objects) {
    const namespaced = object.kind === 'Role'
    object.metadata = {...object.metadata, ...(namespaced ? {namespace} : {}), labels: labelsFor(component)}
    out.push(object)
    if (subjects.length === 0) continue
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: namespaced ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: {
        name: namespaced ? object.metadata.name : `${object.metadata.name}-${subjects.map((s) => s.name).join('-')}`.slice(0, 253),
        ...(namespaced ? {namespace} : {}),
        labels: labelsFor(component),
      },
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: object.kind, name: object.metadata.name},
      subjects: subjects.map(subjectBody),
    })
  }
  return out
}
