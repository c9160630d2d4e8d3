import {DEFAULT_IMAGES} from '../dataplane/images.js'
import {usageError} from '../errors.js'
import {defaultSettings, type Proto, type ServerSettings, type ServiceType} from '../registry/settings.js'
import {parseIssuerRef, validateSettings} from '../registry/validate.js'

/** Server flags as given: undefined where the user named nothing. */
export interface ServerSettingFlags {
  'service-type'?: ServiceType
  address?: string
  proto?: Proto
  port?: number
  'node-port'?: number
  'tunnel-network'?: string
  'cluster-domain'?: string
  'openvpn-image'?: string
  'haproxy-image'?: string
  'cert-manager'?: boolean
  issuer?: string
  'cert-duration'?: string
  'renew-before'?: string
}

/** The settings the flags name, and only those. */
export function settingOverrides(flags: ServerSettingFlags): Partial<ServerSettings> {
  const images = {
    ...(flags['openvpn-image'] === undefined ? {} : {openvpn: flags['openvpn-image']}),
    ...(flags['haproxy-image'] === undefined ? {} : {haproxy: flags['haproxy-image']}),
  }
  const given: Partial<ServerSettings> = {
    ...(flags.proto === undefined ? {} : {proto: flags.proto}),
    ...(flags.port === undefined ? {} : {port: flags.port}),
    ...(flags['service-type'] === undefined ? {} : {serviceType: flags['service-type']}),
    ...(flags['node-port'] === undefined ? {} : {nodePort: flags['node-port']}),
    ...(flags.address === undefined ? {} : {address: flags.address}),
    ...(flags['tunnel-network'] === undefined ? {} : {tunnelNetwork: flags['tunnel-network']}),
    ...(flags['cluster-domain'] === undefined ? {} : {clusterDomain: flags['cluster-domain']}),
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
  // Checked now, before any cluster is contacted: every value here reaches a config file. (Whether
  // --node-port fits the Service type depends on what is stored: checked at install.)
  resolveSettings(undefined, {...given, ...(given.nodePort === undefined ? {} : {serviceType: 'NodePort'})}, images)
  return Object.keys(images).length > 0 ? {...given, images: images as ServerSettings['images']} : given
}

/**
 * What the server runs with: a first install's defaults, else what is
 * stored, with what the flags name on top. A Service type other than
 * NodePort drops a stored nodePort.
 */
export function resolveSettings(stored: ServerSettings | undefined, given: Partial<ServerSettings>, images: Partial<ServerSettings['images']> = given.images ?? {}): ServerSettings {
  const base = stored ?? defaultSettings({...DEFAULT_IMAGES})
  const settings: ServerSettings = {...base, ...given, images: {...base.images, ...images}}
  if (settings.serviceType !== 'NodePort') {
    if (given.nodePort !== undefined) throw usageError('--node-port needs --service-type NodePort', 'add --service-type NodePort or drop --node-port')
    delete settings.nodePort
  }
  validateSettings(settings)
  return settings
}
