import {DEFAULT_IMAGES} from '../dataplane/images.js'
import {parseNetwork} from '../registry/allocate.js'
import {Proto, ServerSettings, ServiceType} from '../render/settings.js'
import {usageError} from '../errors.js'

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
}

export function settingsFromFlags(flags: ServerSettingFlags): ServerSettings {
  parseNetwork(flags['tunnel-network'])
  if (flags['node-port'] !== undefined && flags['service-type'] !== 'NodePort') {
    throw usageError('--node-port needs --service-type NodePort', 'add --service-type NodePort or drop --node-port')
  }
  if (flags.address !== undefined && !/^[A-Za-z0-9.:-]+$/.test(flags.address)) {
    throw usageError(`invalid --address "${flags.address}"`, 'give a host name or IP address, without scheme or port')
  }
  return {
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
  }
}
