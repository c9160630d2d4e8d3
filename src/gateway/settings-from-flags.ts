import {DEFAULT_IMAGES} from '../dataplane/images.js'
import {usageError} from '../errors.js'
import {Proto, ServerSettings, ServiceType} from '../registry/settings.js'
import {parseIssuerRef, validateSettings} from '../registry/validate.js'

export interface ServerSettingFlags {
  'service-type': ServiceType
  address?: string
  proto: Proto
  port: number
  'node-port'?: number
  'tunnel-network': string
  'cluster-domain': string
  'openvpn-image'?: string
  'haproxy-image'?: string
  'cert-manager'?: boolean
  issuer?: string
  'cert-duration'?: string
  'renew-before'?: string
}

/** The server's settings from its flags, every value checked before anything is rendered or applied. */
export function settingsFromFlags(flags: ServerSettingFlags): ServerSettings {
  if (flags['node-port'] !== undefined && flags['service-type'] !== 'NodePort') {
    throw usageError('--node-port needs --service-type NodePort', 'add --service-type NodePort or drop --node-port')
  }
  const settings: ServerSettings = {
    proto: flags.proto,
    port: flags.port,
    serviceType: flags['service-type'],
    ...(flags['node-port'] === undefined ? {} : {nodePort: flags['node-port']}),
    ...(flags.address === undefined ? {} : {address: flags.address}),
    tunnelNetwork: flags['tunnel-network'],
    images: {
      openvpn: flags['openvpn-image'] ?? DEFAULT_IMAGES.openvpn,
      haproxy: flags['haproxy-image'] ?? DEFAULT_IMAGES.haproxy,
    },
    clusterDomain: flags['cluster-domain'],
    ...(flags['cert-manager']
      ? {
          pki: {
            mode: 'cert-manager' as const,
            ...(flags.issuer ? {issuer: parseIssuerRef(flags.issuer)} : {}),
            ...(flags['cert-duration'] ? {duration: flags['cert-duration']} : {}),
            ...(flags['renew-before'] ? {renewBefore: flags['renew-before']} : {}),
          },
        }
      : {}),
  }
  validateSettings(settings)
  return settings
}
