export * from './haproxy-stats.js'
export * from './openvpn-status.js'
