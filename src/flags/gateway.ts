import {Flags} from '@oclif/core'

import {GATEWAY_IMAGE} from '../dataplane/images.js'
import {port} from './index.js'

const positiveDays = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (!Number.isInteger(value) || value < 1 || value > 36_500) {
      const {usageError} = await import('../errors.js')
      throw usageError(`invalid number of days "${input}"`, 'use a whole number from 1 to 36500')
    }
    return value
  },
})

/** Certificate lifetimes, shared by every command that issues certificates. */
export const validityFlags = {
  'cert-days': positiveDays({description: 'Validity of issued server and client certificates, in days.', default: 1095}),
}

export const caValidityFlags = {
  'ca-days': positiveDays({description: 'Validity of the CA certificate, in days.', default: 3650}),
}

/**
 * Flags that shape the server; stored with the registry so later commands
 * reuse them. No oclif defaults: a re-run of `server install` keeps what
 * is stored and changes only what its flags name (the defaults apply to a
 * first install, and are named in each description).
 */
export const serverSettingFlags = {
  'service-type': Flags.option({
    options: ['LoadBalancer', 'NodePort', 'ClusterIP'] as const,
    description: 'Type of the Service that exposes the tunnel endpoint to clients (first install: LoadBalancer).',
  })(),
  address: Flags.string({
    description: 'Public address (host or IP) clients dial, instead of the one discovered from the Service.',
  }),
  proto: Flags.option({options: ['tcp', 'udp'] as const, description: 'Tunnel transport (first install: tcp).'})(),
  port: port({description: 'Tunnel port of the server (first install: 1194).'}),
  'node-port': port({description: 'Fixed nodePort when --service-type NodePort.'}),
  'tunnel-network': Flags.string({description: 'IPv4 network inside the tunnel, never routed into either cluster (first install: 10.8.0.0/24).'}),
  'cluster-domain': Flags.string({description: "Provider clusters' DNS domain (first install: cluster.local)."}),
  'openvpn-image': Flags.string({
    description: `Image of the openvpn container: OpenVPN 2.5 or later, with busybox (default: ${GATEWAY_IMAGE}, which runs both containers).`,
  }),
  'haproxy-image': Flags.string({
    description: `Image of the proxy container: HAProxy 3.0 or later, e.g. haproxy:3.0-alpine (default: ${GATEWAY_IMAGE}, which runs both containers).`,
  }),
}

/** Who issues the certificates: the plugin (default) or cert-manager. Stored in the settings. */
export const pkiFlags = {
  'cert-manager': Flags.boolean({
    description: 'Let cert-manager issue the CA, server and client certificates (stored: later commands act accordingly).',
    helpGroup: 'CERTIFICATES',
  }),
  issuer: Flags.string({
    description: 'With --cert-manager: an Issuer or ClusterIssuer of yours (Issuer/NAME, ClusterIssuer/NAME) instead of a CA chain the plugin makes.',
    dependsOn: ['cert-manager'],
    helpGroup: 'CERTIFICATES',
  }),
  'cert-duration': Flags.string({
    description: 'With --cert-manager: lifetime of the server and client certificates (default 26280h, 3 years).',
    dependsOn: ['cert-manager'],
    helpGroup: 'CERTIFICATES',
  }),
  'renew-before': Flags.string({
    description: "With --cert-manager: how long before expiry cert-manager renews (default: cert-manager's, a third of the lifetime).",
    dependsOn: ['cert-manager'],
    helpGroup: 'CERTIFICATES',
  }),
}
