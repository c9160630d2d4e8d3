import yaml from 'js-yaml'

export type OutputFormat = 'text' | 'json' | 'yaml'

/** Serialises a result for stdout: json and yaml for scripts, never coloured. */
export function formatStructured(value: unknown, format: Exclude<OutputFormat, 'text'>): string {
  if (format === 'json') return JSON.stringify(value, null, 2)
  return yaml.dump(value, {noRefs: true, lineWidth: -1, quotingType: '"'}).trimEnd()
}

/** Several Kubernetes objects as kubectl prints them: a YAML stream or a v1 List. */
export function formatObjects(objects: object[], format: Exclude<OutputFormat, 'text'>): string {
  if (format === 'json') return JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}, null, 2)
  return objects.map((o) => `---\n${formatStructured(o, 'yaml')}`).join('\n')
}

/** A plain left-aligned table (kubectl get style): header row in capitals. */
export function table(headers: string[], rows: string[][], visibleLength: (s: string) => number = (s) => s.length): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell) + 3)))
      .join('')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}
