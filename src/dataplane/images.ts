/**
 * Public images the gateway runs by default; both are overridable
 * (--openvpn-image, --haproxy-image). All behaviour lives in the mounted
 * config and scripts, so any image with OpenVPN ≥ 2.4 (the config uses
 * only options 2.4 to 2.6 all accept) and a POSIX sh with `ip` works for
 * the first, and any official HAProxy ≥ 2.4 image for the second.
 */
export const DEFAULT_IMAGES = {
  openvpn: 'docker.io/kylemanna/openvpn:2.4',
  haproxy: 'docker.io/library/haproxy:3.0-alpine',
} as const
