/**
 * The gateway image: one image of our own runs both containers (Debian
 * trixie's openvpn 2.6, haproxy 3.0, busybox with its applets, iproute2),
 * tagged with the plugin's version so that a plugin always installs the data
 * plane it was tested with. A constant rather than a read of package.json at
 * run time; test/unit/dataplane/images.test.ts holds it to package.json.
 */
export const PLUGIN_VERSION = '0.1.0'

export const GATEWAY_REPOSITORY = 'ghcr.io/kubectl-svcgw/gateway'

/**
 * sha256 digest of the published multi-arch image index, pinned at release
 * (docs/release.md): the tag alone could be moved. Empty between releases.
 */
export const GATEWAY_DIGEST = ''

export const GATEWAY_IMAGE = `${GATEWAY_REPOSITORY}:${PLUGIN_VERSION}${GATEWAY_DIGEST ? `@${GATEWAY_DIGEST}` : ''}`

/**
 * Defaults of --openvpn-image and --haproxy-image. Other images work as
 * overrides (docs/dataplane.md, "Images"): all behaviour lives in the mounted
 * config and scripts, which need OpenVPN ≥ 2.5 or HAProxy ≥ 3.0 (3.0 in our
 * image) and busybox or coreutils with nc.
 */
export const DEFAULT_IMAGES = {
  openvpn: GATEWAY_IMAGE,
  haproxy: GATEWAY_IMAGE,
} as const
